-- Verify gosocial:schema/namespaces on pg

BEGIN;

SELECT 'social'::regnamespace, 'api'::regnamespace, 'gosocial_app'::regrole;

SELECT 1 / count(*) FROM pg_catalog.pg_extension
 WHERE extname = 'pg_trgm' AND extnamespace = 'social'::regnamespace;

-- The application role reaches api, never social.
SELECT 1 / (has_schema_privilege('gosocial_app', 'api', 'USAGE')
            AND NOT has_schema_privilege('gosocial_app', 'social', 'USAGE'))::int;

ROLLBACK;

-- Deploy gosocial:schema/namespaces to pg

BEGIN;

-- Tables live in social, which the application role cannot reach; it gets
-- only the SECURITY DEFINER functions in api.
CREATE SCHEMA social;
CREATE SCHEMA api;

-- In social so that gin_trgm_ops and the operators resolve through the
-- functions' search_path (social, pg_catalog, pg_temp).
CREATE EXTENSION pg_trgm WITH SCHEMA social;

-- Roles are cluster-wide: another database of the cluster may have made it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'gosocial_app') THEN
        CREATE ROLE gosocial_app NOLOGIN;
    END IF;
END
$$;

REVOKE ALL ON SCHEMA social FROM PUBLIC;
REVOKE ALL ON SCHEMA api FROM PUBLIC;
GRANT USAGE ON SCHEMA api TO gosocial_app;

COMMENT ON SCHEMA social IS 'Tables; private to the owner, reached only through api functions.';
COMMENT ON SCHEMA api IS 'SECURITY DEFINER functions the application calls.';

COMMIT;

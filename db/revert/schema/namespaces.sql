-- Revert gosocial:schema/namespaces from pg

BEGIN;

DROP EXTENSION pg_trgm;
DROP SCHEMA api;
DROP SCHEMA social;

-- The role is shared by the cluster: keep it while another database uses it.
DO $$
BEGIN
    DROP ROLE IF EXISTS gosocial_app;
EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'role gosocial_app kept: still used elsewhere in the cluster';
END
$$;

COMMIT;

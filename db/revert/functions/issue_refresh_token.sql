-- Revert gosocial:functions/issue_refresh_token from pg

BEGIN;

DROP FUNCTION api.issue_refresh_token(bigint, bytea, uuid, interval);

COMMIT;

-- Revert gosocial:functions/purge_expired_invitations from pg

BEGIN;

DROP FUNCTION api.purge_expired_invitations();

COMMIT;

-- Revert gosocial:functions/suspend_user from pg

BEGIN;

DROP FUNCTION social.suspend_user(bigint);

COMMIT;

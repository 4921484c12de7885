-- Revert gosocial:schema/login_failures from pg

BEGIN;

DROP TABLE social.login_failures;

COMMIT;

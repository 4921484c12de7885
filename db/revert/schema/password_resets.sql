-- Revert gosocial:schema/password_resets from pg

BEGIN;

DROP TABLE social.password_resets;

COMMIT;

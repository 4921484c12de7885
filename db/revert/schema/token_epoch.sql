-- Revert gosocial:schema/token_epoch from pg

BEGIN;

ALTER TABLE social.users DROP COLUMN token_epoch;

COMMIT;

-- Revert gosocial:schema/suspensions from pg

BEGIN;

ALTER TABLE social.users DROP COLUMN suspended_at;

COMMIT;

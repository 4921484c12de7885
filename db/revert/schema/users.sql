-- Revert gosocial:schema/users from pg

BEGIN;

DROP TABLE social.users;

COMMIT;

-- Revert gosocial:schema/roles from pg

BEGIN;

DROP TABLE social.roles;

COMMIT;

-- Revert gosocial:schema/followers from pg

BEGIN;

DROP TABLE social.followers;

COMMIT;

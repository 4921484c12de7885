-- Revert gosocial:schema/likes from pg

BEGIN;

DROP TABLE social.likes;

COMMIT;

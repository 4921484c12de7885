-- Revert gosocial:schema/comments from pg

BEGIN;

DROP TABLE social.comments;

COMMIT;

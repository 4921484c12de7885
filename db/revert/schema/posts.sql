-- Revert gosocial:schema/posts from pg

BEGIN;

DROP TABLE social.posts;

COMMIT;

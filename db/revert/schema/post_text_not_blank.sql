-- Revert gosocial:schema/post_text_not_blank from pg

BEGIN;

ALTER TABLE social.posts
    DROP CONSTRAINT posts_title_not_blank,
    DROP CONSTRAINT posts_content_not_blank;

COMMIT;

-- Revert gosocial:schema/post_tag_bounds from pg

BEGIN;

ALTER TABLE social.posts DROP CONSTRAINT posts_tags_check;
DROP FUNCTION social.lengths_between(text[], integer, integer);

COMMIT;

-- Verify gosocial:schema/post_tag_bounds on pg

BEGIN;

SELECT 1 / count(*)
  FROM pg_catalog.pg_constraint
 WHERE conrelid = 'social.posts'::regclass
   AND conname = 'posts_tags_check'
   AND convalidated;

ROLLBACK;

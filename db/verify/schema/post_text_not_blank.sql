-- Verify gosocial:schema/post_text_not_blank on pg

BEGIN;

SELECT 1 / (count(*) = 2)::int
  FROM pg_catalog.pg_constraint
 WHERE conrelid = 'social.posts'::regclass
   AND conname IN ('posts_title_not_blank', 'posts_content_not_blank')
   AND convalidated;

ROLLBACK;

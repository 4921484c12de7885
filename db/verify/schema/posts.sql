-- Verify gosocial:schema/posts on pg

BEGIN;

SELECT id, user_id, title, content, tags, version, created_at, updated_at
  FROM social.posts WHERE false;

SELECT 'social.posts_user_created_idx'::regclass, 'social.posts_tags_idx'::regclass,
       'social.posts_title_trgm_idx'::regclass, 'social.posts_content_trgm_idx'::regclass;

ROLLBACK;

-- Verify gosocial:schema/post_shape_likes on pg

BEGIN;

SELECT 'social.post_json(social.posts, bigint, bigint, boolean, social.users)'::regprocedure;

ROLLBACK;

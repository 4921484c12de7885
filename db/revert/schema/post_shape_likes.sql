-- Revert gosocial:schema/post_shape_likes from pg

BEGIN;

DROP FUNCTION social.post_json(social.posts, bigint, bigint, boolean, social.users);

COMMIT;

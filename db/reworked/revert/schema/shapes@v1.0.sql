-- Revert gosocial:schema/shapes from pg

BEGIN;

DROP FUNCTION social.authorize_post(bigint, bigint, integer, text);
DROP FUNCTION social.distinct_tags(text[]);
DROP FUNCTION social.comment_json(social.comments, social.users);
DROP FUNCTION social.post_json(social.posts, bigint, social.users);
DROP FUNCTION social.user_json(social.users, social.roles);

COMMIT;

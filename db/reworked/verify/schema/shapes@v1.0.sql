-- Verify gosocial:schema/shapes on pg

BEGIN;

SELECT 'social.user_json(social.users, social.roles)'::regprocedure;
SELECT 'social.post_json(social.posts, bigint, social.users)'::regprocedure;
SELECT 'social.comment_json(social.comments, social.users)'::regprocedure;
SELECT 'social.distinct_tags(text[])'::regprocedure;
SELECT 'social.authorize_post(bigint, bigint, integer, text)'::regprocedure;

ROLLBACK;

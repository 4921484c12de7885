-- Verify gosocial:schema/shapes on pg

BEGIN;

SELECT 'social.time_json(timestamptz)'::regprocedure;
SELECT 1 / (social.time_json('2026-11-24 12:00:00+02') = '"2026-11-24T10:00:00.000000+00:00"')::int;
SELECT 'social.user_json(social.users, social.roles)'::regprocedure;
SELECT 'social.post_json(social.posts, bigint, social.users)'::regprocedure;
SELECT 'social.comment_json(social.comments, social.users)'::regprocedure;
SELECT 'social.distinct_tags(text[])'::regprocedure;
SELECT 1 / (to_regprocedure('social.authorize_post(bigint, bigint, integer, text)') IS NULL)::int;
SELECT 1 / (social.distinct_tags('{Go,go,SQL,GO}') = '{Go,SQL}')::int;

ROLLBACK;

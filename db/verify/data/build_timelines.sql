-- Verify gosocial:data/build_timelines on pg

BEGIN;

-- Every author's posts enter its own timeline: posts and an empty timeline mean no build.
SELECT 1 / (NOT EXISTS (SELECT FROM social.posts) OR EXISTS (SELECT FROM social.timeline))::int;
SELECT 'social.timeline_pkey'::regclass;

ROLLBACK;

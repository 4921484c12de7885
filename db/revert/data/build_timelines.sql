-- Revert gosocial:data/build_timelines from pg

BEGIN;

-- Back to the empty tables the build started from.
TRUNCATE social.timeline, social.timeline_horizons, social.pulled_follows, social.pulled_authors,
         social.fanout_queue;

COMMIT;

-- Deploy gosocial:schema/timeline to pg
-- requires: schema/namespaces

BEGIN;

-- Each user's home timeline: the newest entries of its feed (its own posts and those of the
-- users it follows), so a feed page reads one index range. The triggers under db/triggers/ keep
-- it derived from posts and followers for every writer (the api functions, the seed, a DBA in
-- psql): a post fans out to its author and followers, a follow backfills, an unfollow removes,
-- a deleted post or user removes its entries.
--
-- No foreign keys: checking two per entry (and locking each owner's users row) cost more than
-- half of a large fan-out. The triggers on posts and users delete a post's and an owner's
-- entries instead; a backfill or fan-out locks the posts it copies (FOR KEY SHARE, or the queue
-- row) so a concurrent delete waits for it and then sees its entries.
--
-- A timeline is trimmed to its newest timeline_size entries (schema/feed_settings); what was
-- trimmed or never backfilled lies at or below the owner's horizon (schema/timeline_horizons).

CREATE TABLE social.timeline (
    owner_id   bigint      NOT NULL,  -- social.users (no foreign key: see above)
    created_at timestamptz NOT NULL,
    post_id    bigint      NOT NULL,  -- social.posts
    PRIMARY KEY (owner_id, created_at, post_id)
);
-- For the delete of a post's entries.
CREATE INDEX timeline_post_idx ON social.timeline (post_id);
COMMENT ON TABLE social.timeline IS
    'Per owner, the newest timeline_size entries (created_at, post_id) of its feed, kept by '
    'triggers on posts, followers and users; complete above the owner''s horizon.';

COMMIT;

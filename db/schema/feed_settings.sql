-- Deploy gosocial:schema/feed_settings to pg
-- requires: schema/namespaces

BEGIN;

-- The home feed is materialized: each user's timeline (schema/timeline) holds the newest entries
-- of its feed, so a page reads one index range instead of walking every followed user's posts.
-- These are its knobs, one row read by the triggers and functions that keep and read it.

CREATE TABLE social.feed_settings (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    timeline_size  integer NOT NULL DEFAULT 800 CHECK (timeline_size >= 1),
    fanout_limit   integer NOT NULL DEFAULT 10000 CHECK (fanout_limit >= 0),
    -- A timeline is trimmed on one insert in trim_every (by post and owner ids), so a trim's
    -- cost (a walk of timeline_size index entries) is shared by that many inserts.
    trim_every     integer NOT NULL DEFAULT 32 CHECK (trim_every >= 1),
    -- Measured at 10,000 followers: 50 ms to copy a post in the posting transaction, and posts
    -- of one author serialize; above this many followers the copy is queued instead.
    fanout_inline_limit integer NOT NULL DEFAULT 100 CHECK (fanout_inline_limit >= 0),
    -- false: every page is answered by the read-time query while the timelines are still kept
    -- (for an operator who suspects them, or to compare the two ways on the same data).
    serve_from_timeline boolean NOT NULL DEFAULT true
);
INSERT INTO social.feed_settings DEFAULT VALUES;
COMMENT ON TABLE social.feed_settings IS
    'One row: timeline_size (N, entries kept per timeline), fanout_limit (F, followers above '
    'which an author''s posts are merged at read time), trim_every, fanout_inline_limit '
    '(followers above which a post is copied after commit rather than in its transaction), '
    'serve_from_timeline. Change with UPDATE; a smaller N applies as timelines are next trimmed.';

COMMIT;

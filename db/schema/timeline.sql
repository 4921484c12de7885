-- Deploy gosocial:schema/timeline to pg
-- requires: schema/users
-- requires: schema/posts
-- requires: schema/followers

BEGIN;

-- The home feed materialized: each user's timeline holds the newest entries of its feed (its own
-- posts and those of the users it follows), so a page reads one index range instead of walking
-- every followed user's posts. Triggers on posts and followers keep it derived from them for
-- every writer (the api functions, the seed, a DBA in psql): a post fans out to its author and
-- followers, a follow backfills, an unfollow removes, a deleted post or user cascades.
--
-- Hybrid fan-out: an author with more than fanout_limit followers is "pulled": its new posts
-- are not copied to every follower's timeline but merged into each page at read time from
-- posts_user_created_idx (pulled_follows lists, per reader, the pulled authors it follows).
--
-- Large fan-outs leave the posting transaction: an author with more than fanout_inline_limit
-- followers has its post queued (fanout_queue) and copied right after commit by
-- api.fan_out_queued, which the service calls when woken by NOTIFY social_fanout (and on a timer,
-- for wake-ups it missed). Until then the queued post is merged into its followers' pages at read
-- time, so no page ever lacks it.
--
-- The timeline has no foreign keys: checking two per entry (and locking each owner's users row)
-- cost more than half of a large fan-out. Triggers on posts and users delete a post's and an
-- owner's entries instead; a backfill or fan-out locks the posts it copies (FOR KEY SHARE, or
-- the queue row) so a concurrent delete waits for it and then sees its entries.
--
-- A timeline is trimmed to its newest timeline_size entries. What was trimmed (or never
-- backfilled) lies at or below the owner's horizon: above it the timeline is complete, so a page
-- whose items all lie above it is exact; any other page is answered by the read-time query.

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

CREATE TABLE social.timeline (
    owner_id   bigint      NOT NULL,  -- social.users (no foreign key: see above)
    created_at timestamptz NOT NULL,
    post_id    bigint      NOT NULL,  -- social.posts
    PRIMARY KEY (owner_id, created_at, post_id)
);
-- For the delete of a post's entries.
CREATE INDEX timeline_post_idx ON social.timeline (post_id);

CREATE TABLE social.fanout_queue (
    created_at timestamptz NOT NULL,
    post_id    bigint      NOT NULL REFERENCES social.posts ON DELETE CASCADE,
    author_id  bigint      NOT NULL,
    PRIMARY KEY (created_at, post_id)
);
CREATE UNIQUE INDEX fanout_queue_post_idx ON social.fanout_queue (post_id);
COMMENT ON TABLE social.fanout_queue IS
    'Posts whose copy into followers'' timelines waits for api.fan_out_queued; merged into '
    'their followers'' pages at read time meanwhile.';

CREATE TABLE social.timeline_horizons (
    owner_id   bigint      PRIMARY KEY REFERENCES social.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    post_id    bigint      NOT NULL
);
COMMENT ON TABLE social.timeline_horizons IS
    'Per owner, the newest feed position (created_at, post_id) that may be missing from its '
    'timeline; every feed post above it is in the timeline. No row: the timeline is complete.';

CREATE TABLE social.pulled_authors (
    author_id bigint PRIMARY KEY REFERENCES social.users ON DELETE CASCADE
);
COMMENT ON TABLE social.pulled_authors IS
    'Authors whose posts are merged into feeds at read time (they had more than fanout_limit '
    'followers when they posted); sticky, so a reader''s view never flips between the two ways.';

CREATE TABLE social.pulled_follows (
    follower_id bigint NOT NULL REFERENCES social.users ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES social.pulled_authors ON DELETE CASCADE,
    PRIMARY KEY (follower_id, author_id)
);
CREATE INDEX pulled_follows_author_idx ON social.pulled_follows (author_id);

-- Writes that change whose timelines hold an author's posts serialize on the author: copying
-- its posts takes this lock exclusively, following and unfollowing share it. Without it a post
-- and a follow committing together could each miss the other (the post not fanned out to the
-- new follower, the backfill not seeing the post). Authors share 1,024 locks, taken in order:
-- a bulk follow of 100,000 authors in one statement takes at most 1,024 entries of the lock
-- table (one per author ran out of shared memory), and two statements never deadlock.
CREATE FUNCTION social.lock_authors(p_author_ids bigint[], p_exclusive boolean) RETURNS void
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_bucket integer;
BEGIN
    FOR v_bucket IN SELECT DISTINCT (a % 1024)::integer FROM unnest(p_author_ids) a ORDER BY 1 LOOP
        IF p_exclusive THEN
            PERFORM pg_advisory_xact_lock(1952805748, v_bucket);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(1952805748, v_bucket);
        END IF;
    END LOOP;
END;
$$;

-- Keep the newest timeline_size entries of each owner; record what went below the horizon.
CREATE FUNCTION social.trim_timelines(p_owners bigint[]) RETURNS void
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_size integer := (SELECT timeline_size FROM feed_settings);
BEGIN
    WITH cut AS (
        SELECT o.owner_id, c.created_at, c.post_id
          FROM (SELECT DISTINCT unnest(p_owners) AS owner_id) o
         CROSS JOIN LATERAL (
                SELECT t.created_at, t.post_id
                  FROM timeline t
                 WHERE t.owner_id = o.owner_id
                 ORDER BY t.created_at DESC, t.post_id DESC
                OFFSET v_size LIMIT 1) c
    ), horizon AS (
        INSERT INTO timeline_horizons AS h (owner_id, created_at, post_id)
        SELECT owner_id, created_at, post_id FROM cut ORDER BY owner_id
        ON CONFLICT (owner_id) DO UPDATE
           SET created_at = excluded.created_at, post_id = excluded.post_id
         WHERE (excluded.created_at, excluded.post_id) > (h.created_at, h.post_id)
    )
    DELETE FROM timeline t
     USING cut
     WHERE t.owner_id = cut.owner_id
       AND (t.created_at, t.post_id) <= (cut.created_at, cut.post_id);
END;
$$;

-- Copies posts into the timelines of their authors and, with p_followers unless the author is
-- pulled, of its followers. An entry already there (a follow's backfill saw the post) is kept.
CREATE FUNCTION social.fan_out(p_post_ids bigint[], p_followers boolean) RETURNS void
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_trim_every integer := (SELECT trim_every FROM feed_settings);
    v_owners bigint[];
BEGIN
    WITH fanned AS (
        SELECT p.id, p.user_id, p.created_at FROM posts p WHERE p.id = ANY (p_post_ids)
    ), entries AS (
        INSERT INTO timeline (owner_id, created_at, post_id)
        SELECT n.user_id, n.created_at, n.id FROM fanned n
        UNION ALL
        SELECT f.follower_id, n.created_at, n.id
          FROM fanned n
          JOIN followers f ON f.user_id = n.user_id
         WHERE p_followers
           AND NOT EXISTS (SELECT FROM pulled_authors pa WHERE pa.author_id = n.user_id)
        ON CONFLICT DO NOTHING
        RETURNING owner_id, post_id
    )
    SELECT array_agg(DISTINCT owner_id) INTO v_owners
      FROM entries
     WHERE (owner_id + post_id) % v_trim_every = 0;

    IF v_owners IS NOT NULL THEN
        PERFORM social.trim_timelines(v_owners);
    END IF;
END;
$$;

-- Marks authors with more than fanout_limit followers as pulled (counting stops at the limit).
-- The caller holds their author locks.
CREATE FUNCTION social.pull_authors(p_author_ids bigint[]) RETURNS void
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_fanout_limit integer := (SELECT fanout_limit FROM feed_settings);
BEGIN
    WITH big AS (
        INSERT INTO pulled_authors (author_id)
        SELECT a.id
          FROM unnest(p_author_ids) a(id)
         WHERE NOT EXISTS (SELECT FROM pulled_authors pa WHERE pa.author_id = a.id)
           AND (SELECT count(*) FROM (SELECT FROM followers f WHERE f.user_id = a.id
                                       LIMIT v_fanout_limit + 1) x) > v_fanout_limit
        RETURNING author_id
    )
    INSERT INTO pulled_follows (follower_id, author_id)
    SELECT f.follower_id, big.author_id FROM big JOIN followers f ON f.user_id = big.author_id;
END;
$$;

-- Each new post enters its author's timeline at once. Its followers' copies are made here for
-- authors with at most fanout_inline_limit followers, queued for the others, and never made for
-- pulled authors.
CREATE FUNCTION social.timeline_after_post_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    s feed_settings;
    v_inline bigint[];
    v_queued bigint[];
BEGIN
    SELECT * INTO s FROM feed_settings;
    SELECT array_agg(a.user_id ORDER BY a.user_id) FILTER (WHERE a.followers <= s.fanout_inline_limit),
           array_agg(a.user_id) FILTER (WHERE a.followers > s.fanout_inline_limit)
      INTO v_inline, v_queued
      FROM (SELECT n.user_id,
                   (SELECT count(*) FROM (SELECT FROM followers f WHERE f.user_id = n.user_id
                                           LIMIT s.fanout_inline_limit + 1) x) AS followers
              FROM (SELECT DISTINCT user_id FROM new_posts) n
             WHERE NOT EXISTS (SELECT FROM pulled_authors pa WHERE pa.author_id = n.user_id)) a;

    IF v_inline IS NOT NULL THEN
        PERFORM social.lock_authors(v_inline, true);
        PERFORM social.pull_authors(v_inline);
    END IF;
    PERFORM social.fan_out(array_agg(id) FILTER (WHERE user_id = ANY (v_inline)), true),
            social.fan_out(array_agg(id) FILTER (WHERE NOT user_id = ANY (coalesce(v_inline, '{}'))), false)
       FROM new_posts;

    IF v_queued IS NOT NULL THEN
        INSERT INTO fanout_queue (created_at, post_id, author_id)
        SELECT created_at, id, user_id FROM new_posts WHERE user_id = ANY (v_queued);
        PERFORM pg_notify('social_fanout', '');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER timeline_after_post_insert
    AFTER INSERT ON social.posts
    REFERENCING NEW TABLE AS new_posts
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_post_insert();

-- The entries of deleted posts and of deleted users' timelines (the foreign keys' work).
CREATE FUNCTION social.timeline_after_post_delete() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM timeline t USING old_posts o WHERE t.post_id = o.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER timeline_after_post_delete
    AFTER DELETE ON social.posts
    REFERENCING OLD TABLE AS old_posts
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_post_delete();

CREATE FUNCTION social.timeline_after_user_delete() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM timeline t USING old_users o WHERE t.owner_id = o.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER timeline_after_user_delete
    AFTER DELETE ON social.users
    REFERENCING OLD TABLE AS old_users
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_user_delete();

-- The API never moves a post in time, but a DBA may: the post is placed again.
CREATE FUNCTION social.timeline_after_post_moved() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM social.lock_authors(ARRAY[NEW.user_id], true);
    DELETE FROM timeline WHERE post_id = NEW.id;
    DELETE FROM fanout_queue WHERE post_id = NEW.id;
    PERFORM social.fan_out(ARRAY[NEW.id], true);
    RETURN NULL;
END;
$$;

CREATE TRIGGER timeline_after_post_moved
    AFTER UPDATE OF created_at, user_id ON social.posts
    FOR EACH ROW
    WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION social.timeline_after_post_moved();

CREATE FUNCTION social.timeline_after_follow() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_size integer := (SELECT timeline_size FROM feed_settings);
BEGIN
    PERFORM social.lock_authors(array_agg(user_id), false) FROM new_follows;

    INSERT INTO pulled_follows (follower_id, author_id)
    SELECT n.follower_id, n.user_id
      FROM new_follows n
      JOIN pulled_authors pa ON pa.author_id = n.user_id
    ON CONFLICT DO NOTHING;

    -- Backfill the newest timeline_size posts above the follower's horizon; one more is read
    -- so that, when there were more, the horizon rises to the first one left out. Ranked per
    -- follower, not per follow: of many follows at once (a bulk load) only the newest
    -- timeline_size posts in all are kept, since the trim would drop the rest anyway.
    -- FOR KEY SHARE: a post deleted meanwhile is skipped, or its delete waits for this
    -- transaction and then removes the entries made here.
    WITH fill AS (
        SELECT n.follower_id, k.created_at, k.id,
               row_number() OVER (PARTITION BY n.follower_id
                                  ORDER BY k.created_at DESC, k.id DESC) AS rank
          FROM new_follows n
          LEFT JOIN timeline_horizons h ON h.owner_id = n.follower_id
         CROSS JOIN LATERAL (
                SELECT p.created_at, p.id
                  FROM posts p
                 WHERE p.user_id = n.user_id
                   AND (p.created_at, p.id) > (coalesce(h.created_at, '-infinity'),
                                               coalesce(h.post_id, 0))
                 ORDER BY p.created_at DESC, p.id DESC
                 LIMIT v_size + 1
                   FOR KEY SHARE OF p) k
         WHERE NOT EXISTS (SELECT FROM pulled_authors pa WHERE pa.author_id = n.user_id)
    ), horizon AS (
        INSERT INTO timeline_horizons AS h (owner_id, created_at, post_id)
        SELECT DISTINCT ON (follower_id) follower_id, created_at, id
          FROM fill WHERE rank > v_size
         ORDER BY follower_id, created_at DESC, id DESC
        ON CONFLICT (owner_id) DO UPDATE
           SET created_at = excluded.created_at, post_id = excluded.post_id
         WHERE (excluded.created_at, excluded.post_id) > (h.created_at, h.post_id)
    )
    INSERT INTO timeline (owner_id, created_at, post_id)
    SELECT follower_id, created_at, id FROM fill WHERE rank <= v_size
    ON CONFLICT DO NOTHING;

    PERFORM social.trim_timelines(array_agg(DISTINCT follower_id)) FROM new_follows;
    RETURN NULL;
END;
$$;

CREATE TRIGGER timeline_after_follow
    AFTER INSERT ON social.followers
    REFERENCING NEW TABLE AS new_follows
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_follow();

CREATE FUNCTION social.timeline_after_unfollow() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM social.lock_authors(array_agg(user_id), false) FROM old_follows;

    DELETE FROM pulled_follows pf
     USING old_follows o
     WHERE pf.follower_id = o.follower_id AND pf.author_id = o.user_id;

    -- Walks the follower's timeline (at most about timeline_size entries), not the author's posts.
    DELETE FROM timeline t
     USING old_follows o, posts p
     WHERE t.owner_id = o.follower_id
       AND p.id = t.post_id
       AND p.user_id = o.user_id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER timeline_after_unfollow
    AFTER DELETE ON social.followers
    REFERENCING OLD TABLE AS old_follows
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_unfollow();

-- Rebuilds every timeline from posts and followers: at deploy, after a bulk load (the seed), or
-- after changing timeline_size or fanout_limit for everyone at once.
CREATE FUNCTION social.rebuild_timelines() RETURNS bigint
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
SET maintenance_work_mem = '512MB'
AS $$
DECLARE
    s feed_settings;
    v_entries bigint;
BEGIN
    SELECT * INTO s FROM feed_settings;
    TRUNCATE timeline, timeline_horizons, pulled_follows, pulled_authors, fanout_queue;

    INSERT INTO pulled_authors (author_id)
    SELECT user_id FROM followers GROUP BY user_id HAVING count(*) > s.fanout_limit;
    INSERT INTO pulled_follows (follower_id, author_id)
    SELECT f.follower_id, f.user_id FROM followers f JOIN pulled_authors pa ON pa.author_id = f.user_id;

    -- A bulk load: the key and the index are dropped and built once from the loaded rows,
    -- many times cheaper than maintaining them row by row.
    ALTER TABLE timeline DROP CONSTRAINT timeline_pkey;
    DROP INDEX timeline_post_idx;

    -- Per owner: the newest timeline_size + 1 of its own and its pushed followees' posts,
    -- ranked within the owner; the one past timeline_size, when there is one, is the horizon.
    WITH ranked AS MATERIALIZED (
        SELECT o.id AS owner_id, k.created_at, k.id AS post_id, k.rank
          FROM users o
         CROSS JOIN LATERAL (
                SELECT c.created_at, c.id,
                       row_number() OVER (ORDER BY c.created_at DESC, c.id DESC) AS rank
                  FROM (SELECT o.id AS user_id
                        UNION ALL
                        SELECT f.user_id FROM followers f
                         WHERE f.follower_id = o.id
                           AND NOT EXISTS (SELECT FROM pulled_authors pa
                                            WHERE pa.author_id = f.user_id)) a
                 CROSS JOIN LATERAL (
                        SELECT p.created_at, p.id FROM posts p
                         WHERE p.user_id = a.user_id
                         ORDER BY p.created_at DESC, p.id DESC
                         LIMIT s.timeline_size + 1) c
                 ORDER BY c.created_at DESC, c.id DESC
                 LIMIT s.timeline_size + 1) k
    ), horizons AS (
        INSERT INTO timeline_horizons (owner_id, created_at, post_id)
        SELECT owner_id, created_at, post_id FROM ranked WHERE rank > s.timeline_size
    )
    INSERT INTO timeline (owner_id, created_at, post_id)
    SELECT owner_id, created_at, post_id FROM ranked WHERE rank <= s.timeline_size;
    GET DIAGNOSTICS v_entries = ROW_COUNT;

    ALTER TABLE timeline ADD CONSTRAINT timeline_pkey PRIMARY KEY (owner_id, created_at, post_id);
    CREATE INDEX timeline_post_idx ON timeline (post_id);
    RETURN v_entries;
END;
$$;
COMMENT ON FUNCTION social.rebuild_timelines() IS
    'Rebuilds every timeline, horizon and pulled author from posts and followers; returns the '
    'number of timeline entries. Locks the timeline for the whole rebuild (its keys are '
    'rebuilt at the end): run it off-peak, as the table owner.';

DO $$ BEGIN PERFORM social.rebuild_timelines(); END $$;

COMMIT;

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
-- A timeline is trimmed to its newest timeline_size entries. What was trimmed (or never
-- backfilled) lies at or below the owner's horizon: above it the timeline is complete, so a page
-- whose items all lie above it is exact; any other page is answered by the read-time query.

CREATE TABLE social.feed_settings (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    timeline_size  integer NOT NULL DEFAULT 800 CHECK (timeline_size >= 1),
    fanout_limit   integer NOT NULL DEFAULT 10000 CHECK (fanout_limit >= 0),
    -- A timeline is trimmed on one insert in trim_every (by post and owner ids), so a trim's
    -- cost (a walk of timeline_size index entries) is shared by that many inserts.
    trim_every     integer NOT NULL DEFAULT 32 CHECK (trim_every >= 1)
);
INSERT INTO social.feed_settings DEFAULT VALUES;
COMMENT ON TABLE social.feed_settings IS
    'One row: timeline_size (N, entries kept per timeline), fanout_limit (F, followers above '
    'which an author''s posts are merged at read time), trim_every. Change with UPDATE; a '
    'smaller N applies as timelines are next trimmed.';

CREATE TABLE social.timeline (
    owner_id   bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    post_id    bigint      NOT NULL REFERENCES social.posts ON DELETE CASCADE,
    PRIMARY KEY (owner_id, created_at, post_id)
);
-- For the cascade when a post is deleted.
CREATE INDEX timeline_post_idx ON social.timeline (post_id);

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

-- Writes that change whose timelines hold an author's posts serialize on the author: posting
-- takes this lock exclusively, following and unfollowing share it. Without it a post and a
-- follow committing together could each miss the other (the post not fanned out to the new
-- follower, the backfill not seeing the post).
CREATE FUNCTION social.lock_author(p_author_id bigint, p_exclusive boolean) RETURNS void
LANGUAGE sql AS $$
    SELECT CASE WHEN p_exclusive
                THEN pg_advisory_xact_lock(1952805748, (p_author_id % 2147483647)::integer)
                ELSE pg_advisory_xact_lock_shared(1952805748, (p_author_id % 2147483647)::integer)
           END
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

-- Copies posts into the timelines of their authors and, unless pulled, their followers.
CREATE FUNCTION social.fan_out(p_post_ids bigint[]) RETURNS void
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
         WHERE NOT EXISTS (SELECT FROM pulled_authors pa WHERE pa.author_id = n.user_id)
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

CREATE FUNCTION social.timeline_after_post_insert() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_fanout_limit integer := (SELECT fanout_limit FROM feed_settings);
BEGIN
    PERFORM social.lock_author(a.user_id, true)
       FROM (SELECT DISTINCT user_id FROM new_posts ORDER BY user_id) a;

    -- An author past fanout_limit followers becomes pulled (counting stops at the limit).
    WITH big AS (
        INSERT INTO pulled_authors (author_id)
        SELECT a.user_id
          FROM (SELECT DISTINCT user_id FROM new_posts) a
         WHERE NOT EXISTS (SELECT FROM pulled_authors pa WHERE pa.author_id = a.user_id)
           AND (SELECT count(*) FROM (SELECT FROM followers f WHERE f.user_id = a.user_id
                                       LIMIT v_fanout_limit + 1) x) > v_fanout_limit
        RETURNING author_id
    )
    INSERT INTO pulled_follows (follower_id, author_id)
    SELECT f.follower_id, big.author_id FROM big JOIN followers f ON f.user_id = big.author_id;

    PERFORM social.fan_out(array_agg(id)) FROM new_posts;
    RETURN NULL;
END;
$$;

CREATE TRIGGER timeline_after_post_insert
    AFTER INSERT ON social.posts
    REFERENCING NEW TABLE AS new_posts
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_post_insert();

-- The API never moves a post in time, but a DBA may: the post is placed again.
CREATE FUNCTION social.timeline_after_post_moved() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM social.lock_author(NEW.user_id, true);
    DELETE FROM timeline WHERE post_id = NEW.id;
    PERFORM social.fan_out(ARRAY[NEW.id]);
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
    PERFORM social.lock_author(a.user_id, false)
       FROM (SELECT DISTINCT user_id FROM new_follows ORDER BY user_id) a;

    INSERT INTO pulled_follows (follower_id, author_id)
    SELECT n.follower_id, n.user_id
      FROM new_follows n
      JOIN pulled_authors pa ON pa.author_id = n.user_id
    ON CONFLICT DO NOTHING;

    -- Backfill the newest timeline_size posts above the follower's horizon; one more is read
    -- so that, when there were more, the horizon rises to the first one left out.
    -- FOR KEY SHARE: a post deleted meanwhile is skipped (or waited for) instead of failing
    -- the entry's foreign key.
    WITH fill AS (
        SELECT n.follower_id, k.created_at, k.id,
               row_number() OVER (PARTITION BY n.follower_id, n.user_id
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
    PERFORM social.lock_author(a.user_id, false)
       FROM (SELECT DISTINCT user_id FROM old_follows ORDER BY user_id) a;

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
    TRUNCATE timeline, timeline_horizons, pulled_follows, pulled_authors;

    INSERT INTO pulled_authors (author_id)
    SELECT user_id FROM followers GROUP BY user_id HAVING count(*) > s.fanout_limit;
    INSERT INTO pulled_follows (follower_id, author_id)
    SELECT f.follower_id, f.user_id FROM followers f JOIN pulled_authors pa ON pa.author_id = f.user_id;

    -- A bulk load: the keys and the index are dropped and built once from the loaded rows,
    -- many times cheaper than maintaining them and checking both foreign keys row by row.
    ALTER TABLE timeline DROP CONSTRAINT timeline_owner_id_fkey,
                         DROP CONSTRAINT timeline_post_id_fkey,
                         DROP CONSTRAINT timeline_pkey;
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

    ALTER TABLE timeline
        ADD CONSTRAINT timeline_pkey PRIMARY KEY (owner_id, created_at, post_id),
        ADD CONSTRAINT timeline_owner_id_fkey FOREIGN KEY (owner_id)
            REFERENCES users ON DELETE CASCADE,
        ADD CONSTRAINT timeline_post_id_fkey FOREIGN KEY (post_id)
            REFERENCES posts ON DELETE CASCADE;
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

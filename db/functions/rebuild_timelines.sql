-- Deploy gosocial:functions/rebuild_timelines to pg
-- requires: schema/users
-- requires: schema/posts
-- requires: schema/followers
-- requires: schema/feed_settings
-- requires: schema/timeline
-- requires: schema/timeline_horizons
-- requires: schema/pulled_authors
-- requires: schema/pulled_follows
-- requires: schema/fanout_queue

BEGIN;

-- Rebuilds every timeline from posts and followers: at deploy (data/build_timelines), after a
-- bulk load (the seed), or after changing timeline_size or fanout_limit for everyone at once.
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
    'rebuilt at the end): run it off-peak, as the table owner. Raises nothing of its own.';

COMMIT;

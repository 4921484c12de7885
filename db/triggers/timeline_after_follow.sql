-- Deploy gosocial:triggers/timeline_after_follow to pg
-- requires: schema/posts
-- requires: schema/followers
-- requires: schema/feed_settings
-- requires: schema/timeline
-- requires: schema/timeline_horizons
-- requires: schema/pulled_authors
-- requires: schema/pulled_follows
-- requires: functions/lock_authors
-- requires: functions/trim_timelines

BEGIN;

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
COMMENT ON FUNCTION social.timeline_after_follow() IS
    'Trigger of followers: a follow of a pulled author is recorded in pulled_follows; of any '
    'other, the author''s newest posts above the follower''s horizon are backfilled into its '
    'timeline, which is then trimmed. Raises nothing of its own.';

CREATE TRIGGER timeline_after_follow
    AFTER INSERT ON social.followers
    REFERENCING NEW TABLE AS new_follows
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_follow();

COMMIT;

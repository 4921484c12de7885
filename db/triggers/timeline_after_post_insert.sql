-- Deploy gosocial:triggers/timeline_after_post_insert to pg
-- requires: schema/posts
-- requires: schema/followers
-- requires: schema/feed_settings
-- requires: schema/pulled_authors
-- requires: schema/fanout_queue
-- requires: functions/lock_authors
-- requires: functions/pull_authors
-- requires: functions/fan_out

BEGIN;

-- Each new post enters its author's timeline at once. Its followers' copies are made here for
-- authors with at most fanout_inline_limit followers, queued for the others (schema/fanout_queue,
-- drained by api.fan_out_queued), and never made for pulled authors.
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
COMMENT ON FUNCTION social.timeline_after_post_insert() IS
    'Trigger of posts: new posts into their authors'' timelines, and into their followers'' '
    'now (at most fanout_inline_limit followers) or through fanout_queue and NOTIFY '
    'social_fanout (more), never for pulled authors. Raises nothing of its own.';

CREATE TRIGGER timeline_after_post_insert
    AFTER INSERT ON social.posts
    REFERENCING NEW TABLE AS new_posts
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_post_insert();

COMMIT;

-- Deploy gosocial:triggers/timeline_after_post_moved to pg
-- requires: schema/posts
-- requires: schema/timeline
-- requires: schema/fanout_queue
-- requires: functions/lock_authors
-- requires: functions/fan_out

BEGIN;

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
COMMENT ON FUNCTION social.timeline_after_post_moved() IS
    'Trigger of posts: a post given another created_at or author is taken out of every '
    'timeline and the fan-out queue and fanned out again. Raises nothing of its own.';

CREATE TRIGGER timeline_after_post_moved
    AFTER UPDATE OF created_at, user_id ON social.posts
    FOR EACH ROW
    WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION social.timeline_after_post_moved();

COMMIT;

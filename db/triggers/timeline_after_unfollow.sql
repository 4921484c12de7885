-- Deploy gosocial:triggers/timeline_after_unfollow to pg
-- requires: schema/posts
-- requires: schema/followers
-- requires: schema/timeline
-- requires: schema/pulled_follows
-- requires: functions/lock_authors

BEGIN;

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
COMMENT ON FUNCTION social.timeline_after_unfollow() IS
    'Trigger of followers: an unfollow removes the author''s posts from the follower''s '
    'timeline and the pair from pulled_follows. Raises nothing of its own.';

CREATE TRIGGER timeline_after_unfollow
    AFTER DELETE ON social.followers
    REFERENCING OLD TABLE AS old_follows
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_unfollow();

COMMIT;

-- Deploy gosocial:triggers/timeline_after_post_delete to pg
-- requires: schema/posts
-- requires: schema/timeline

BEGIN;

-- The entries of deleted posts (the timeline has no foreign keys: this is their work).
CREATE FUNCTION social.timeline_after_post_delete() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM timeline t USING old_posts o WHERE t.post_id = o.id;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION social.timeline_after_post_delete() IS
    'Trigger of posts: deleted posts leave every timeline. Raises nothing of its own.';

CREATE TRIGGER timeline_after_post_delete
    AFTER DELETE ON social.posts
    REFERENCING OLD TABLE AS old_posts
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_post_delete();

COMMIT;

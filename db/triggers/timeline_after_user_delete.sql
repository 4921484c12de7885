-- Deploy gosocial:triggers/timeline_after_user_delete to pg
-- requires: schema/users
-- requires: schema/timeline

BEGIN;

-- The timelines of deleted users (the timeline has no foreign keys: this is their work).
CREATE FUNCTION social.timeline_after_user_delete() RETURNS trigger
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM timeline t USING old_users o WHERE t.owner_id = o.id;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION social.timeline_after_user_delete() IS
    'Trigger of users: a deleted user''s timeline goes with it. Raises nothing of its own.';

CREATE TRIGGER timeline_after_user_delete
    AFTER DELETE ON social.users
    REFERENCING OLD TABLE AS old_users
    FOR EACH STATEMENT EXECUTE FUNCTION social.timeline_after_user_delete();

COMMIT;

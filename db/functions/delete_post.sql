-- Deploy gosocial:functions/delete_post to pg
-- requires: schema/posts
-- requires: schema/roles
-- requires: schema/shapes
-- requires: schema/permissions
-- requires: schema/visibility

BEGIN;

CREATE OR REPLACE FUNCTION api.delete_post(p_post_id bigint, p_actor_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    -- Only admins may delete someone else's post.
    -- A post across a block does not exist for the actor: 404, not a 403 that says it does.
    IF EXISTS (SELECT FROM posts WHERE id = p_post_id AND social.separated(p_actor_id, user_id)) THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    PERFORM social.authorize_post(p_post_id, p_actor_id, 'admin', 'delete');

    -- Comments go with it (ON DELETE CASCADE).
    DELETE FROM posts WHERE id = p_post_id;
END;
$$;

REVOKE ALL ON FUNCTION api.delete_post(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.delete_post(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.delete_post(bigint, bigint) IS
    'Deletes a post and its comments. Raises SN404 when the post does not exist or a block '
    'stands between the actor and its author, SN403 when '
    'the actor is neither its owner nor an admin.';

COMMIT;

-- Revert gosocial:functions/delete_post from pg: back to its @v1.1 version
-- requires: schema/posts
-- requires: schema/roles
-- requires: schema/shapes
-- requires: schema/permissions

BEGIN;

CREATE OR REPLACE FUNCTION api.delete_post(p_post_id bigint, p_actor_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    -- Only admins may delete someone else's post.
    PERFORM social.authorize_post(p_post_id, p_actor_id, 'admin', 'delete');

    -- Comments go with it (ON DELETE CASCADE).
    DELETE FROM posts WHERE id = p_post_id;
END;
$$;

REVOKE ALL ON FUNCTION api.delete_post(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.delete_post(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.delete_post(bigint, bigint) IS
    'Deletes a post and its comments. Raises SN404 when the post does not exist, SN403 when '
    'the actor is neither its owner nor an admin.';

COMMIT;

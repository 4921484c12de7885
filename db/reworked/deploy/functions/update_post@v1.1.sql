-- Deploy gosocial:functions/update_post to pg
-- requires: schema/posts
-- requires: schema/comments
-- requires: schema/roles
-- requires: schema/shapes
-- requires: schema/permissions

BEGIN;

CREATE OR REPLACE FUNCTION api.update_post(
    p_post_id bigint,
    p_actor_id bigint,
    p_version integer,
    p_title text,
    p_content text,
    p_tags text[]
)
RETURNS json
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_post json;
BEGIN
    IF p_title IS NULL AND p_content IS NULL AND p_tags IS NULL THEN
        RAISE EXCEPTION 'nothing to change: give a title, content or tags' USING ERRCODE = 'SN400';
    END IF;
    -- Moderators and above may edit anyone's post.
    PERFORM social.authorize_post(p_post_id, p_actor_id, 'moderator', 'edit');

    -- The version test is in the UPDATE itself: a concurrent writer holding the
    -- row makes this one re-check it after commit and match nothing.
    WITH p AS (
        UPDATE posts
           SET title = coalesce(p_title, title),
               content = coalesce(p_content, content),
               tags = CASE
                          WHEN p_tags IS NULL THEN tags
                          ELSE social.distinct_tags(p_tags)
                      END,
               version = version + 1,
               updated_at = now()
         WHERE id = p_post_id
           AND version = p_version
        RETURNING *
    )
    SELECT social.post_json(p::posts, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
      INTO v_post
      FROM p
      JOIN users u ON u.id = p.user_id;

    IF v_post IS NULL THEN
        RAISE EXCEPTION 'post was modified by someone else' USING ERRCODE = 'SN409';
    END IF;
    RETURN v_post;
END;
$$;

REVOKE ALL ON FUNCTION api.update_post(bigint, bigint, integer, text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.update_post(bigint, bigint, integer, text, text, text[]) TO gosocial_app;

COMMENT ON FUNCTION api.update_post(bigint, bigint, integer, text, text, text[]) IS
    'Updates title, content and tags (NULL keeps a field; tags deduplicated) if p_version is '
    'still current, bumps version and updated_at, and returns the post. Raises SN404 when the '
    'post does not exist, SN403 when the actor is neither its owner nor a moderator or admin, '
    'SN409 when the version is stale (nothing changes), SN400 when no field is given (the '
    'version is not bumped).';

COMMIT;

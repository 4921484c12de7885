-- Deploy gosocial:functions/update_post to pg
-- requires: schema/posts
-- requires: schema/comments
-- requires: schema/roles
-- requires: schema/shapes
-- requires: schema/post_shape_likes
-- requires: schema/visibility
-- requires: schema/permissions
-- requires: schema/notifications

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
    v_author bigint;
    v_text text;
BEGIN
    IF p_title IS NULL AND p_content IS NULL AND p_tags IS NULL THEN
        RAISE EXCEPTION 'nothing to change: give a title, content or tags' USING ERRCODE = 'SN400';
    END IF;
    -- A post across a block does not exist for the actor.
    IF EXISTS (SELECT FROM posts WHERE id = p_post_id AND social.separated(p_actor_id, user_id)) THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
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
    SELECT social.post_json(p::posts, (SELECT count(*) FROM comments c WHERE c.post_id = p.id),
                            (SELECT count(*) FROM likes l WHERE l.post_id = p.id),
                            EXISTS (SELECT FROM likes l WHERE l.post_id = p.id AND l.user_id = p_actor_id),
                            u)
      INTO v_post
      FROM p
      JOIN users u ON u.id = p.user_id;

    IF v_post IS NULL THEN
        RAISE EXCEPTION 'post was modified by someone else' USING ERRCODE = 'SN409';
    END IF;
    -- Mentions follow the text: one the edit removed is no longer notified, one it added is.
    IF p_title IS NOT NULL OR p_content IS NOT NULL THEN
        SELECT user_id, title || E'\n' || content INTO v_author, v_text
          FROM posts WHERE id = p_post_id;
        DELETE FROM notifications n
         WHERE n.type = 'mention' AND n.post_id = p_post_id AND n.comment_id IS NULL
           AND n.user_id NOT IN (SELECT social.mentioned(v_text));
        PERFORM social.notify(m, v_author, 'mention', p_post_id, NULL)
           FROM social.mentioned(v_text) m;
    END IF;
    RETURN v_post;
END;
$$;

REVOKE ALL ON FUNCTION api.update_post(bigint, bigint, integer, text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.update_post(bigint, bigint, integer, text, text, text[]) TO gosocial_app;

COMMENT ON FUNCTION api.update_post(bigint, bigint, integer, text, text, text[]) IS
    'Updates title, content and tags (NULL keeps a field; tags deduplicated) if p_version is '
    'still current, bumps version and updated_at, and returns the post as the actor sees it. '
    'Raises SN404 when the post does not exist or a block stands between the actor and its '
    'author, SN403 when the actor is neither its owner nor a moderator or admin, '
    'SN409 when the version is stale (nothing changes), SN400 when no field is given (the '
    'version is not bumped).';

COMMIT;

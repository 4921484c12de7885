-- Deploy gosocial:functions/create_comment to pg
-- requires: schema/comments
-- requires: schema/shapes
-- requires: schema/visibility
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.create_comment(p_post_id bigint, p_user_id bigint, p_content text)
RETURNS json
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_comment json;
    v_author bigint := (SELECT user_id FROM posts WHERE id = p_post_id);
    v_comment_id bigint;
BEGIN
    IF v_author IS NULL OR social.separated(p_user_id, v_author) THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    -- Under the pair's lock, so that a block made at the same moment comes first or after.
    PERFORM social.lock_pair(p_user_id, v_author);
    IF social.separated(p_user_id, v_author) THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    -- Inserting nothing for a post deleted meanwhile avoids catching the foreign key
    -- error (a subtransaction per call).
    WITH c AS (
        INSERT INTO comments (post_id, user_id, content)
        SELECT p_post_id, p_user_id, p_content
         WHERE EXISTS (SELECT FROM posts WHERE id = p_post_id)
        RETURNING *
    )
    SELECT social.comment_json(c::comments, u), c.id
      INTO v_comment, v_comment_id
      FROM c JOIN users u ON u.id = c.user_id;

    IF v_comment IS NULL THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    -- The post's author, and the users the comment mentions, in its transaction; a comment on
    -- one's post that also mentions one is one notification (comment).
    PERFORM social.notify(v_author, p_user_id, 'comment', p_post_id, v_comment_id);
    PERFORM social.notify(m, p_user_id, 'mention', p_post_id, v_comment_id)
       FROM social.mentioned(p_content) m
      WHERE m <> v_author;
    RETURN v_comment;
END;
$$;

REVOKE ALL ON FUNCTION api.create_comment(bigint, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_comment(bigint, bigint, text) TO gosocial_app;

COMMENT ON FUNCTION api.create_comment(bigint, bigint, text) IS
    'Adds a comment by p_user_id to a post and returns it with its author. '
    'Raises SN404 when the post does not exist or a block stands between the user and its '
    'author.';

COMMIT;

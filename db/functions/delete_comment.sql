-- Deploy gosocial:functions/delete_comment to pg
-- requires: schema/comments
-- requires: schema/posts
-- requires: schema/permissions

BEGIN;

CREATE OR REPLACE FUNCTION api.delete_comment(p_post_id bigint, p_comment_id bigint,
                                              p_actor_id bigint)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_author      bigint;
    v_post_author bigint;
BEGIN
    -- Locked, so that two deletions of one comment do not both pass the checks and the second
    -- then finds nothing to delete without saying so.
    SELECT c.user_id, p.user_id INTO v_author, v_post_author
      FROM comments c
      JOIN posts p ON p.id = c.post_id
     WHERE c.id = p_comment_id AND c.post_id = p_post_id
       FOR UPDATE OF c;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'comment not found' USING ERRCODE = 'SN404';
    END IF;
    -- Its author, the author of the post it is under, or a moderator and up.
    IF p_actor_id IS DISTINCT FROM v_author AND p_actor_id IS DISTINCT FROM v_post_author
       AND NOT social.has_role(p_actor_id, 'moderator') THEN
        RAISE EXCEPTION 'you may not delete this comment' USING ERRCODE = 'SN403';
    END IF;
    -- The post's comments_count is a count over comments: it follows.
    DELETE FROM comments WHERE id = p_comment_id;
END;
$$;

REVOKE ALL ON FUNCTION api.delete_comment(bigint, bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.delete_comment(bigint, bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.delete_comment(bigint, bigint, bigint) IS
    'Deletes a comment of a post. Raises SN404 when the post has no such comment, SN403 unless '
    'the actor wrote the comment or the post, or is a moderator or an admin.';

COMMIT;

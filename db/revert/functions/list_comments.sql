-- Revert gosocial:functions/list_comments from pg: back to its @v1.1 version
-- requires: schema/comments
-- requires: schema/shapes

BEGIN;

-- The cursor is a new parameter: the old signature goes, or both would stay callable.
DROP FUNCTION api.list_comments(bigint, bigint, integer, integer, timestamptz, bigint);

CREATE FUNCTION api.list_comments(p_post_id bigint, p_limit integer, p_offset integer,
                                  p_after_created_at timestamptz DEFAULT NULL,
                                  p_after_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100' USING ERRCODE = 'SN400';
    END IF;
    IF p_offset IS NULL OR p_offset < 0 THEN
        RAISE EXCEPTION 'offset must not be negative' USING ERRCODE = 'SN400';
    END IF;
    IF (p_after_created_at IS NULL) <> (p_after_id IS NULL) THEN
        RAISE EXCEPTION 'a cursor needs both its time and its id' USING ERRCODE = 'SN400';
    END IF;
    IF p_after_id IS NOT NULL AND p_offset <> 0 THEN
        RAISE EXCEPTION 'a cursor cannot be combined with an offset' USING ERRCODE = 'SN400';
    END IF;
    IF NOT EXISTS (SELECT FROM posts WHERE id = p_post_id) THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;

    -- Page first (comments_post_created_idx), authors only for that page.
    RETURN (
        SELECT coalesce(array_to_json(array_agg(social.comment_json(c::comments, u)
                                                ORDER BY c.created_at, c.id)), '[]')
          FROM (SELECT *
                  FROM comments
                 WHERE post_id = p_post_id
                   AND (created_at, id) > (coalesce(p_after_created_at, '-infinity'),
                                           coalesce(p_after_id, 0))
                 ORDER BY created_at, id
                 LIMIT p_limit OFFSET p_offset) c
          JOIN users u ON u.id = c.user_id
    );
END;
$$;

REVOKE ALL ON FUNCTION api.list_comments(bigint, integer, integer, timestamptz, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.list_comments(bigint, integer, integer, timestamptz, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.list_comments(bigint, integer, integer, timestamptz, bigint) IS
    'Returns a page of a post''s comments, oldest first, as a json array with authors; with a '
    'cursor (p_after_created_at, p_after_id: the previous page''s last comment) the page after '
    'it. Raises SN400 unless 1 <= p_limit <= 100, p_offset >= 0, and a cursor is given whole '
    'and without an offset; SN404 when the post does not exist.';

COMMIT;

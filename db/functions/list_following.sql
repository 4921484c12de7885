-- Deploy gosocial:functions/list_following to pg
-- requires: schema/visibility
-- requires: schema/user_lists
-- requires: schema/profile_shape

BEGIN;

CREATE OR REPLACE FUNCTION api.list_following(p_viewer_id bigint, p_user_id bigint, p_limit integer,
                                      p_after_created_at timestamptz DEFAULT NULL,
                                      p_after_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_items json;
    v_n integer;
    v_at timestamptz;
    v_id bigint;
BEGIN
    PERFORM social.check_page(p_limit, 100, p_after_created_at, p_after_id);
    IF NOT EXISTS (SELECT FROM users WHERE id = p_user_id)
       OR social.separated(p_viewer_id, p_user_id) THEN
        RAISE EXCEPTION 'user not found' USING ERRCODE = 'SN404';
    END IF;
    SELECT array_to_json(array_agg(social.user_ref_json(u) ORDER BY k.created_at DESC, k.user_id DESC)),
           count(*),
           (array_agg(k.created_at ORDER BY k.created_at, k.user_id))[1],
           (array_agg(k.user_id ORDER BY k.created_at, k.user_id))[1]
      INTO v_items, v_n, v_at, v_id
      FROM (SELECT f.created_at, f.user_id
              FROM followers f
             WHERE f.follower_id = p_user_id
               AND (f.created_at, f.user_id) < (coalesce(p_after_created_at, 'infinity'),
                                               coalesce(p_after_id, 0))
               AND NOT social.separated(p_viewer_id, f.user_id)
             ORDER BY f.created_at DESC, f.user_id DESC
             LIMIT p_limit) k
      JOIN users u ON u.id = k.user_id;
    RETURN social.page_json(v_items, CASE WHEN v_n = p_limit THEN v_at END, v_id);
END;
$$;

REVOKE ALL ON FUNCTION api.list_following(bigint, bigint, integer, timestamptz, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.list_following(bigint, bigint, integer, timestamptz, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.list_following(bigint, bigint, integer, timestamptz, bigint) IS
    'A page of the users p_user_id follows, newest follow first, as {"page", "after"} (social.page_json), without the users a block '
    'separates from p_viewer_id. Raises SN400 unless 1 <= p_limit <= 100 and a cursor is given '
    'whole; SN404 when p_user_id does not exist or a block stands between it and the viewer.';

COMMIT;

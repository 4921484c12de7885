-- Deploy gosocial:functions/list_mutes to pg
-- requires: schema/visibility
-- requires: schema/likes
-- requires: schema/user_lists

BEGIN;

CREATE OR REPLACE FUNCTION api.list_mutes(p_user_id bigint, p_limit integer,
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
    SELECT array_to_json(array_agg(social.user_ref_json(u) ORDER BY k.created_at DESC, k.muted_id DESC)),
           count(*),
           (array_agg(k.created_at ORDER BY k.created_at, k.muted_id))[1],
           (array_agg(k.muted_id ORDER BY k.created_at, k.muted_id))[1]
      INTO v_items, v_n, v_at, v_id
      FROM (SELECT created_at, muted_id
              FROM mutes
             WHERE muter_id = p_user_id
               AND (created_at, muted_id) < (coalesce(p_after_created_at, 'infinity'),
                                          coalesce(p_after_id, 0))
             ORDER BY created_at DESC, muted_id DESC
             LIMIT p_limit) k
      JOIN users u ON u.id = k.muted_id;
    RETURN social.page_json(v_items, CASE WHEN v_n = p_limit THEN v_at END, v_id);
END;
$$;

REVOKE ALL ON FUNCTION api.list_mutes(bigint, integer, timestamptz, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.list_mutes(bigint, integer, timestamptz, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.list_mutes(bigint, integer, timestamptz, bigint) IS
    'A page of the users p_user_id mutes, newest first, as {"page": [{"id", "username"}...], "after"} '
    '(social.page_json), after the cursor (p_after_created_at, p_after_id) when given. Raises '
    'SN400 unless 1 <= p_limit <= 100 and a cursor is given whole.';

COMMIT;

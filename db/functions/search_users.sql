-- Deploy gosocial:functions/search_users to pg
-- requires: schema/visibility
-- requires: schema/user_lists
-- requires: schema/profile_shape

BEGIN;

CREATE OR REPLACE FUNCTION api.search_users(p_viewer_id bigint, p_q text, p_limit integer)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_q text := lower(p_q);
BEGIN
    IF p_q IS NULL OR length(p_q) NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'q must be 1 to 100 characters' USING ERRCODE = 'SN400';
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 20 THEN
        RAISE EXCEPTION 'limit must be between 1 and 20' USING ERRCODE = 'SN400';
    END IF;
    -- A prefix of lower(username): starts_with, so that %, _ and \ are plain characters.
    RETURN (
        SELECT coalesce(array_to_json(array_agg(m.profile ORDER BY m.exact DESC, m.len, m.name)), '[]')
          FROM (SELECT social.profile_json(u, r, false) AS profile,
                       lower(u.username) = v_q AS exact, length(u.username) AS len,
                       lower(u.username) AS name
                  FROM users u
                  JOIN roles r ON r.id = u.role_id
                 WHERE starts_with(lower(u.username), v_q)
                   AND NOT social.separated(p_viewer_id, u.id)
                 ORDER BY lower(u.username) = v_q DESC, length(u.username), lower(u.username)
                 LIMIT p_limit) m
    );
END;
$$;

REVOKE ALL ON FUNCTION api.search_users(bigint, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.search_users(bigint, text, integer) TO gosocial_app;

COMMENT ON FUNCTION api.search_users(bigint, text, integer) IS
    'Users whose username starts with p_q (case-insensitively), the viewer too, without email: '
    'an exact match first, then shorter names, then alphabetical; none a block separates from '
    'p_viewer_id. Raises SN400 unless p_q has 1 to 100 characters and 1 <= p_limit <= 20.';

COMMIT;

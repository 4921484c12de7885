-- Deploy gosocial:schema/user_lists to pg
-- requires: schema/shapes

BEGIN;

-- The lists of users (likers, followers, following, blocks, mutes) are cursor pages, newest
-- first, keyed by when the relation was made and the other user's id. Their items show no such
-- time, so the function returns the position after the page beside the page
-- ({"page": [...], "after": {"created_at", "id"} | null}) and the service turns it into the
-- signed cursor of the `Link` header (api/pages.py).

CREATE OR REPLACE FUNCTION social.user_ref_json(u social.users) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"id":%s,"username":%s}', u.id, to_json(u.username))::json
$$;
COMMENT ON FUNCTION social.user_ref_json(social.users) IS
    'A user as lists and posts name it: {"id", "username"}.';

CREATE OR REPLACE FUNCTION social.page_json(p_items json, p_after_at timestamptz, p_after_id bigint)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"page":%s,"after":%s}', coalesce(p_items, '[]'),
                  CASE WHEN p_after_at IS NULL THEN 'null'
                       ELSE format('{"created_at":%s,"id":%s}', social.time_json(p_after_at),
                                   p_after_id) END)::json
$$;
COMMENT ON FUNCTION social.page_json(json, timestamptz, bigint) IS
    'A page of a list and the position after it (NULL when it is the last page).';

CREATE OR REPLACE FUNCTION social.check_page(p_limit integer, p_max integer,
                                             p_after_at timestamptz, p_after_id bigint)
RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND p_max THEN
        RAISE EXCEPTION 'limit must be between 1 and %', p_max USING ERRCODE = 'SN400';
    END IF;
    IF (p_after_at IS NULL) <> (p_after_id IS NULL) THEN
        RAISE EXCEPTION 'a cursor needs both its time and its id' USING ERRCODE = 'SN400';
    END IF;
END;
$$;
COMMENT ON FUNCTION social.check_page(integer, integer, timestamptz, bigint) IS
    'Checks a page''s arguments. Raises SN400 unless 1 <= p_limit <= p_max and a cursor is '
    'given whole.';

COMMIT;

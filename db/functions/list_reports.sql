-- Deploy gosocial:functions/list_reports to pg
-- requires: schema/reports
-- requires: schema/permissions

BEGIN;

CREATE OR REPLACE FUNCTION api.list_reports(p_actor_id bigint, p_status text, p_limit integer,
                                            p_after_at timestamptz DEFAULT NULL,
                                            p_after_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT social.has_role(p_actor_id, 'moderator') THEN
        RAISE EXCEPTION 'only moderators and admins may read reports' USING ERRCODE = 'SN403';
    END IF;
    IF p_status IS NULL OR p_status NOT IN ('open', 'resolved', 'dismissed') THEN
        RAISE EXCEPTION 'status must be open, resolved or dismissed' USING ERRCODE = 'SN400';
    END IF;
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'limit must be between 1 and 100' USING ERRCODE = 'SN400';
    END IF;
    IF (p_after_at IS NULL) <> (p_after_id IS NULL) THEN
        RAISE EXCEPTION 'a position needs both its time and its id' USING ERRCODE = 'SN400';
    END IF;

    -- Open reports by creation, closed ones by closing time, oldest first; a page starts after
    -- the (time, id) position the previous one ended at. Reports about the reader (its account,
    -- its posts or comments) are left out: a reported user never sees who reported it, and does
    -- not judge its own case.
    RETURN (
        SELECT coalesce(array_to_json(array_agg(social.report_json(q.r, q.reporter, q.closer)
                                                ORDER BY q.at, (q.r).id)), '[]')
          FROM (SELECT r, reporter, closer,
                       CASE WHEN p_status = 'open' THEN r.created_at ELSE r.closed_at END AS at
                  FROM reports r
                  JOIN users reporter ON reporter.id = r.reporter_id
                  LEFT JOIN users closer ON closer.id = r.closed_by
                 WHERE r.status = p_status
                   AND r.target_user_id IS DISTINCT FROM p_actor_id
                   AND (p_after_at IS NULL
                        OR (CASE WHEN p_status = 'open' THEN r.created_at ELSE r.closed_at END, r.id)
                           > (p_after_at, p_after_id))
                 ORDER BY at, r.id
                 LIMIT p_limit) q
    );
END;
$$;

REVOKE ALL ON FUNCTION api.list_reports(bigint, text, integer, timestamptz, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.list_reports(bigint, text, integer, timestamptz, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.list_reports(bigint, text, integer, timestamptz, bigint) IS
    'A page of reports with one status as a json array, oldest first: open ones by created_at, '
    'closed ones by closed_at, then id; after the (time, id) position when given; reports about '
    'the actor left out. Raises SN403 unless the actor is a moderator or an admin, SN400 for an '
    'unknown status, a limit outside 1 to 100 or half a position.';

COMMIT;

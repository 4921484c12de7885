-- Deploy gosocial:functions/close_report to pg
-- requires: schema/reports
-- requires: schema/permissions
-- requires: functions/suspend_user

BEGIN;

CREATE OR REPLACE FUNCTION api.close_report(p_report_id bigint, p_actor_id bigint,
                                            p_status text, p_action text DEFAULT NULL)
RETURNS TABLE (report json, suspended_user_id bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_report reports;
BEGIN
    -- The role first: to a user every report id answers 403, existing or not.
    IF NOT social.has_role(p_actor_id, 'moderator') THEN
        RAISE EXCEPTION 'only moderators and admins may close reports' USING ERRCODE = 'SN403';
    END IF;
    IF p_status IS NULL OR p_status NOT IN ('resolved', 'dismissed') THEN
        RAISE EXCEPTION 'status must be resolved or dismissed' USING ERRCODE = 'SN400';
    END IF;
    IF p_action IS NOT NULL AND p_action NOT IN ('delete_content', 'suspend_user') THEN
        RAISE EXCEPTION 'action must be delete_content or suspend_user' USING ERRCODE = 'SN400';
    END IF;
    IF p_action IS NOT NULL AND p_status <> 'resolved' THEN
        RAISE EXCEPTION 'a report closed with an action is resolved, not dismissed'
            USING ERRCODE = 'SN400';
    END IF;

    -- Locked: of two moderators closing one report, the second sees it closed (SN409).
    SELECT * INTO v_report FROM reports r WHERE r.id = p_report_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'report not found' USING ERRCODE = 'SN404';
    END IF;
    IF v_report.target_user_id = p_actor_id THEN
        RAISE EXCEPTION 'a report about you is for another moderator to close'
            USING ERRCODE = 'SN403';
    END IF;
    IF p_action = 'suspend_user' AND NOT social.has_role(p_actor_id, 'admin') THEN
        RAISE EXCEPTION 'only admins may suspend users' USING ERRCODE = 'SN403';
    END IF;
    IF p_action = 'delete_content' AND v_report.target_type = 'user' THEN
        RAISE EXCEPTION 'a report of a user has no content to delete' USING ERRCODE = 'SN400';
    END IF;
    IF v_report.status <> 'open' THEN
        RAISE EXCEPTION 'the report is already closed' USING ERRCODE = 'SN409';
    END IF;

    IF p_action = 'delete_content' THEN
        -- Moderators may, for a reported post (api.delete_post leaves others' posts to admins).
        -- Content already deleted meanwhile: nothing left to do. Comments, timeline entries and
        -- whatever else hangs on the row go with it (foreign keys, triggers).
        IF v_report.target_type = 'post' THEN
            DELETE FROM posts WHERE id = v_report.target_id;
        ELSE
            DELETE FROM comments WHERE id = v_report.target_id;
        END IF;
    ELSIF p_action = 'suspend_user' THEN
        IF v_report.target_user_id IS NULL OR NOT social.suspend_user(v_report.target_user_id) THEN
            RAISE EXCEPTION 'the reported account no longer exists' USING ERRCODE = 'SN409';
        END IF;
        suspended_user_id := v_report.target_user_id;
    END IF;

    UPDATE reports r
       SET status = p_status, action = p_action, closed_at = now(), closed_by = p_actor_id
     WHERE r.id = p_report_id
    RETURNING * INTO v_report;

    SELECT social.report_json(v_report, reporter, closer) INTO report
      FROM users reporter, users closer
     WHERE reporter.id = v_report.reporter_id AND closer.id = p_actor_id;
    RETURN NEXT;
END;
$$;

REVOKE ALL ON FUNCTION api.close_report(bigint, bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.close_report(bigint, bigint, text, text) TO gosocial_app;

COMMENT ON FUNCTION api.close_report(bigint, bigint, text, text) IS
    'Closes an open report as resolved or dismissed; a resolution may delete the reported post '
    'or comment (delete_content) or suspend the reported user or the content''s author '
    '(suspend_user, admins only). Returns the report and the suspended user''s id (NULL when '
    'none). Raises SN403 unless the actor is a moderator or an admin, for suspend_user by a '
    'moderator and for a report about the actor; SN400 for an unknown status or action, an '
    'action with dismissed, or delete_content on a user report; SN404 when the report does not '
    'exist; SN409 when it is already closed or the account to suspend is gone.';

COMMIT;

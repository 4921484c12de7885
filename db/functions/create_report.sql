-- Deploy gosocial:functions/create_report to pg
-- requires: schema/reports
-- requires: schema/posts
-- requires: schema/comments

BEGIN;

CREATE OR REPLACE FUNCTION api.create_report(p_reporter_id bigint, p_post_id bigint,
                                             p_comment_id bigint, p_user_id bigint,
                                             p_reason text)
RETURNS json
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_type        text;
    v_target      bigint := coalesce(p_post_id, p_comment_id, p_user_id);
    v_target_user bigint;
    v_report      reports;
BEGIN
    IF num_nonnulls(p_post_id, p_comment_id, p_user_id) <> 1 THEN
        RAISE EXCEPTION 'name exactly one of post_id, comment_id and user_id' USING ERRCODE = 'SN400';
    END IF;
    -- The target only has to exist: visibility (blocks either way) does not matter here, so a
    -- person can report what it blocked or what blocks it.
    IF p_post_id IS NOT NULL THEN
        v_type := 'post';
        SELECT p.user_id INTO v_target_user FROM posts p WHERE p.id = p_post_id;
    ELSIF p_comment_id IS NOT NULL THEN
        v_type := 'comment';
        SELECT c.user_id INTO v_target_user FROM comments c WHERE c.id = p_comment_id;
    ELSE
        v_type := 'user';
        SELECT u.id INTO v_target_user FROM users u WHERE u.id = p_user_id;
    END IF;
    IF v_target_user IS NULL THEN
        RAISE EXCEPTION '% not found', v_type USING ERRCODE = 'SN404';
    END IF;

    INSERT INTO reports (reporter_id, target_type, target_id, target_user_id, reason)
    VALUES (p_reporter_id, v_type, v_target, v_target_user, p_reason)
    ON CONFLICT (reporter_id, target_type, target_id) WHERE status = 'open' DO NOTHING
    RETURNING * INTO v_report;
    IF v_report.id IS NULL THEN
        RAISE EXCEPTION 'you already reported this % and your report is still open', v_type
            USING ERRCODE = 'SN409';
    END IF;

    RETURN (SELECT social.report_json(v_report, u, NULL) FROM users u WHERE u.id = p_reporter_id);
END;
$$;

REVOKE ALL ON FUNCTION api.create_report(bigint, bigint, bigint, bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_report(bigint, bigint, bigint, bigint, text) TO gosocial_app;

COMMENT ON FUNCTION api.create_report(bigint, bigint, bigint, bigint, text) IS
    'Reports a post, a comment or a user (exactly one of the three ids) with a reason, and '
    'returns the open report. Raises SN400 unless exactly one target is named, SN404 when the '
    'target does not exist, SN409 when the reporter''s report on it is still open.';

COMMIT;

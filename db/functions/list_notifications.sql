-- Deploy gosocial:functions/list_notifications to pg
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.list_notifications(p_user_id bigint, p_limit integer,
                                                  p_types text[] DEFAULT NULL,
                                                  p_after_created_at timestamptz DEFAULT NULL,
                                                  p_after_id bigint DEFAULT NULL)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 50 THEN
        RAISE EXCEPTION 'limit must be between 1 and 50' USING ERRCODE = 'SN400';
    END IF;
    IF NOT p_types <@ ARRAY['follow', 'like', 'comment', 'mention'] THEN
        RAISE EXCEPTION 'types must be among follow, like, comment and mention'
            USING ERRCODE = 'SN400';
    END IF;
    -- Newest first by id (ids grow with time); the cursor's id alone places the page.
    RETURN (
        SELECT coalesce(array_to_json(array_agg(social.notification_json(n, a, p, c)
                                                ORDER BY n.id DESC)), '[]')
          FROM (SELECT *
                  FROM notifications n
                 WHERE n.user_id = p_user_id
                   AND n.id < coalesce(p_after_id, 9223372036854775807)
                   AND (p_types IS NULL OR n.type = ANY (p_types))
                   -- A mute made after the act hides it too; a block deleted them already.
                   AND NOT social.muting(p_user_id, n.actor_id)
                   AND NOT social.separated(p_user_id, n.actor_id)
                 ORDER BY n.id DESC
                 LIMIT p_limit) n
          JOIN users a ON a.id = n.actor_id
          LEFT JOIN posts p ON p.id = n.post_id
          LEFT JOIN comments c ON c.id = n.comment_id
    );
END;
$$;

REVOKE ALL ON FUNCTION api.list_notifications(bigint, integer, text[], timestamptz, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.list_notifications(bigint, integer, text[], timestamptz, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.list_notifications(bigint, integer, text[], timestamptz, bigint) IS
    'A page of p_user_id''s notifications, newest first, of p_types only when given, after the '
    'cursor (p_after_created_at, p_after_id) when given; none from a user it mutes or a block '
    'separates. Raises SN400 unless 1 <= p_limit <= 50 and every type is known.';

COMMIT;

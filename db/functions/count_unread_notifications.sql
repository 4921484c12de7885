-- Deploy gosocial:functions/count_unread_notifications to pg
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.count_unread_notifications(p_user_id bigint)
RETURNS bigint
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
    SELECT count(*)
      FROM notifications n
     WHERE n.user_id = p_user_id
       AND NOT n.read
       AND NOT social.muting(p_user_id, n.actor_id)
       AND NOT social.separated(p_user_id, n.actor_id)
$$;

REVOKE ALL ON FUNCTION api.count_unread_notifications(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.count_unread_notifications(bigint) TO gosocial_app;

COMMENT ON FUNCTION api.count_unread_notifications(bigint) IS
    'How many of p_user_id''s notifications are unread (those api.list_notifications shows). '
    'Raises nothing.';

COMMIT;

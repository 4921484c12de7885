-- Deploy gosocial:functions/mark_notifications_read to pg
-- requires: schema/notifications

BEGIN;

CREATE OR REPLACE FUNCTION api.mark_notifications_read(p_user_id bigint, p_up_to bigint DEFAULT NULL)
RETURNS void
LANGUAGE sql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
    UPDATE notifications
       SET read = true
     WHERE user_id = p_user_id
       AND NOT read
       AND id <= coalesce(p_up_to, 9223372036854775807)
$$;

REVOKE ALL ON FUNCTION api.mark_notifications_read(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.mark_notifications_read(bigint, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.mark_notifications_read(bigint, bigint) IS
    'Marks p_user_id''s notifications with an id up to p_up_to (all when NULL) read. Raises '
    'nothing.';

COMMIT;

-- Deploy gosocial:functions/trim_timelines to pg
-- requires: schema/feed_settings
-- requires: schema/timeline
-- requires: schema/timeline_horizons

BEGIN;

CREATE FUNCTION social.trim_timelines(p_owners bigint[]) RETURNS void
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_size integer := (SELECT timeline_size FROM feed_settings);
BEGIN
    WITH cut AS (
        SELECT o.owner_id, c.created_at, c.post_id
          FROM (SELECT DISTINCT unnest(p_owners) AS owner_id) o
         CROSS JOIN LATERAL (
                SELECT t.created_at, t.post_id
                  FROM timeline t
                 WHERE t.owner_id = o.owner_id
                 ORDER BY t.created_at DESC, t.post_id DESC
                OFFSET v_size LIMIT 1) c
    ), horizon AS (
        INSERT INTO timeline_horizons AS h (owner_id, created_at, post_id)
        SELECT owner_id, created_at, post_id FROM cut ORDER BY owner_id
        ON CONFLICT (owner_id) DO UPDATE
           SET created_at = excluded.created_at, post_id = excluded.post_id
         WHERE (excluded.created_at, excluded.post_id) > (h.created_at, h.post_id)
    )
    DELETE FROM timeline t
     USING cut
     WHERE t.owner_id = cut.owner_id
       AND (t.created_at, t.post_id) <= (cut.created_at, cut.post_id);
END;
$$;

COMMENT ON FUNCTION social.trim_timelines(bigint[]) IS
    'Keeps the newest timeline_size entries of each owner''s timeline and raises its horizon to '
    'the newest entry let go. Raises nothing of its own.';

COMMIT;

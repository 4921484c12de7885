-- Deploy gosocial:functions/fan_out_queued to pg
-- requires: schema/fanout_queue
-- requires: functions/lock_authors
-- requires: functions/pull_authors
-- requires: functions/fan_out

BEGIN;

CREATE FUNCTION api.fan_out_queued(p_limit integer DEFAULT 20)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_posts bigint[];
    v_authors bigint[];
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'limit must be positive' USING ERRCODE = 'SN400';
    END IF;

    -- Oldest first. SKIP LOCKED: every worker may drain at once, each taking other posts. The
    -- row lock also makes a concurrent delete of a taken post wait for this transaction, so the
    -- delete then removes the entries copied here.
    SELECT array_agg(q.post_id), array_agg(DISTINCT q.author_id)
      INTO v_posts, v_authors
      FROM (SELECT post_id, author_id
              FROM fanout_queue
             ORDER BY created_at, post_id
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED) q;
    IF v_posts IS NULL THEN
        RETURN 0;
    END IF;

    -- As when posting: the author lock orders the copy with follows and unfollows; an author
    -- past fanout_limit followers becomes pulled and its followers read it at read time.
    PERFORM social.lock_authors(v_authors, true);
    PERFORM social.pull_authors(v_authors);
    PERFORM social.fan_out(v_posts, true);
    DELETE FROM fanout_queue WHERE post_id = ANY (v_posts);
    RETURN cardinality(v_posts);
END;
$$;

REVOKE ALL ON FUNCTION api.fan_out_queued(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.fan_out_queued(integer) TO gosocial_app;

COMMENT ON FUNCTION api.fan_out_queued(integer) IS
    'Copies up to p_limit of the oldest queued posts into their followers'' timelines and '
    'returns how many it took (0: nothing was waiting that another caller had not taken). '
    'Raises SN400 unless p_limit >= 1.';

COMMIT;

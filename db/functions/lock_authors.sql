-- Deploy gosocial:functions/lock_authors to pg
-- requires: schema/namespaces

BEGIN;

-- Writes that change whose timelines hold an author's posts serialize on the author: copying
-- its posts takes this lock exclusively, following and unfollowing share it. Without it a post
-- and a follow committing together could each miss the other (the post not fanned out to the
-- new follower, the backfill not seeing the post). Authors share 1,024 locks, taken in order:
-- a bulk follow of 100,000 authors in one statement takes at most 1,024 entries of the lock
-- table (one per author ran out of shared memory), and two statements never deadlock.
CREATE FUNCTION social.lock_authors(p_author_ids bigint[], p_exclusive boolean) RETURNS void
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_bucket integer;
BEGIN
    FOR v_bucket IN SELECT DISTINCT (a % 1024)::integer FROM unnest(p_author_ids) a ORDER BY 1 LOOP
        IF p_exclusive THEN
            PERFORM pg_advisory_xact_lock(1952805748, v_bucket);
        ELSE
            PERFORM pg_advisory_xact_lock_shared(1952805748, v_bucket);
        END IF;
    END LOOP;
END;
$$;

COMMENT ON FUNCTION social.lock_authors(bigint[], boolean) IS
    'Takes, until the transaction ends, the advisory locks (1952805748, author_id % 1024) of the '
    'authors, in order: exclusive to copy their posts into timelines, shared to follow or '
    'unfollow them. Raises nothing of its own.';

COMMIT;

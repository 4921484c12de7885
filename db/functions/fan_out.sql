-- Deploy gosocial:functions/fan_out to pg
-- requires: schema/posts
-- requires: schema/followers
-- requires: schema/feed_settings
-- requires: schema/timeline
-- requires: schema/pulled_authors
-- requires: functions/trim_timelines

BEGIN;

CREATE FUNCTION social.fan_out(p_post_ids bigint[], p_followers boolean) RETURNS void
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_trim_every integer := (SELECT trim_every FROM feed_settings);
    v_owners bigint[];
BEGIN
    WITH fanned AS (
        SELECT p.id, p.user_id, p.created_at FROM posts p WHERE p.id = ANY (p_post_ids)
    ), entries AS (
        INSERT INTO timeline (owner_id, created_at, post_id)
        SELECT n.user_id, n.created_at, n.id FROM fanned n
        UNION ALL
        SELECT f.follower_id, n.created_at, n.id
          FROM fanned n
          JOIN followers f ON f.user_id = n.user_id
         WHERE p_followers
           AND NOT EXISTS (SELECT FROM pulled_authors pa WHERE pa.author_id = n.user_id)
        ON CONFLICT DO NOTHING
        RETURNING owner_id, post_id
    )
    SELECT array_agg(DISTINCT owner_id) INTO v_owners
      FROM entries
     WHERE (owner_id + post_id) % v_trim_every = 0;

    IF v_owners IS NOT NULL THEN
        PERFORM social.trim_timelines(v_owners);
    END IF;
END;
$$;

COMMENT ON FUNCTION social.fan_out(bigint[], boolean) IS
    'Copies the posts into their authors'' timelines and, with p_followers unless the author is '
    'pulled, into their followers''; an entry already there (a follow''s backfill saw the post) '
    'is kept. Trims one owner in trim_every. The caller holds the authors'' locks. Raises '
    'nothing of its own.';

COMMIT;

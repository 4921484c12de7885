-- Deploy gosocial:functions/pull_authors to pg
-- requires: schema/followers
-- requires: schema/feed_settings
-- requires: schema/pulled_authors
-- requires: schema/pulled_follows

BEGIN;

CREATE FUNCTION social.pull_authors(p_author_ids bigint[]) RETURNS void
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_fanout_limit integer := (SELECT fanout_limit FROM feed_settings);
BEGIN
    WITH big AS (
        INSERT INTO pulled_authors (author_id)
        SELECT a.id
          FROM unnest(p_author_ids) a(id)
         WHERE NOT EXISTS (SELECT FROM pulled_authors pa WHERE pa.author_id = a.id)
           AND (SELECT count(*) FROM (SELECT FROM followers f WHERE f.user_id = a.id
                                       LIMIT v_fanout_limit + 1) x) > v_fanout_limit
        RETURNING author_id
    )
    INSERT INTO pulled_follows (follower_id, author_id)
    SELECT f.follower_id, big.author_id FROM big JOIN followers f ON f.user_id = big.author_id;
END;
$$;

COMMENT ON FUNCTION social.pull_authors(bigint[]) IS
    'Marks the authors with more than fanout_limit followers as pulled (counting stops at the '
    'limit) and records their followers in pulled_follows. The caller holds the authors'' '
    'locks. Raises nothing of its own.';

COMMIT;

-- Revert gosocial:functions/user_feed from pg: back to its @v1.1 version
-- requires: schema/users
-- requires: schema/posts
-- requires: schema/comments
-- requires: schema/followers
-- requires: schema/shapes
-- requires: schema/feed_settings
-- requires: schema/timeline
-- requires: schema/timeline_horizons
-- requires: schema/pulled_follows
-- requires: schema/fanout_queue
-- requires: data/build_timelines

BEGIN;

-- The feed has three functions: the read-time query (the v1.0 feed, now with a keyset cursor),
-- which is the reference the timeline is tested against and the answer to every page the
-- timeline cannot give exactly; the timeline path (the timeline, merged with the posts of
-- pulled authors and the posts still queued for fan-out); and api.user_feed, which checks the
-- arguments and picks.


CREATE OR REPLACE FUNCTION social.feed_read_time(
    p_user_id bigint,
    p_limit integer,
    p_offset integer,
    p_sort text,
    p_tags text[],
    p_search text,
    p_since timestamptz,
    p_until timestamptz,
    p_after_created_at timestamptz,
    p_after_id bigint
)
RETURNS json
LANGUAGE plpgsql
STABLE
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_filters text := '';
    v_pattern text;
    v_feed json;
BEGIN
    IF coalesce(cardinality(p_tags), 0) = 0 AND coalesce(p_search, '') = '' THEN
        -- No filter needing the row (since/until are bounds on the index): static SQL, one query
        -- per sort direction, planned once per session and reused by PL/pgSQL. For the user and
        -- each followed user (followers_follower_idx), read only (created_at, id) from
        -- posts_user_created_idx, an index-only scan that stops after offset + limit entries;
        -- merge those keys and cut the page; only then fetch the page's rows by primary key,
        -- count their comments and fetch their authors. coalesce to -infinity/infinity keeps
        -- the bounds sargable in the cached plan, and is no bound when NULL.
        IF p_sort = 'desc' THEN
            SELECT coalesce(array_to_json(array_agg(social.post_json(
                                         p, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
                                     ORDER BY p.created_at DESC, p.id DESC)), '[]')
              INTO v_feed
              FROM (SELECT k.id
                      FROM (SELECT p_user_id AS user_id
                            UNION ALL
                            SELECT f.user_id FROM followers f WHERE f.follower_id = p_user_id) a
                     CROSS JOIN LATERAL (
                            SELECT pk.id, pk.created_at
                              FROM posts pk
                             WHERE pk.user_id = a.user_id
                               AND pk.created_at >= coalesce(p_since, '-infinity')
                               AND pk.created_at <= coalesce(p_until, 'infinity')
                               AND (pk.created_at, pk.id) < (coalesce(p_after_created_at, 'infinity'),
                                                             coalesce(p_after_id, 0))
                             ORDER BY pk.created_at DESC, pk.id DESC
                             LIMIT p_limit::bigint + p_offset) k
                     ORDER BY k.created_at DESC, k.id DESC
                     LIMIT p_limit OFFSET p_offset) t
              JOIN posts p ON p.id = t.id
              JOIN users u ON u.id = p.user_id;
        ELSE
            SELECT coalesce(array_to_json(array_agg(social.post_json(
                                         p, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
                                     ORDER BY p.created_at ASC, p.id ASC)), '[]')
              INTO v_feed
              FROM (SELECT k.id
                      FROM (SELECT p_user_id AS user_id
                            UNION ALL
                            SELECT f.user_id FROM followers f WHERE f.follower_id = p_user_id) a
                     CROSS JOIN LATERAL (
                            SELECT pk.id, pk.created_at
                              FROM posts pk
                             WHERE pk.user_id = a.user_id
                               AND pk.created_at >= coalesce(p_since, '-infinity')
                               AND pk.created_at <= coalesce(p_until, 'infinity')
                               AND (pk.created_at, pk.id) > (coalesce(p_after_created_at, '-infinity'),
                                                             coalesce(p_after_id, 0))
                             ORDER BY pk.created_at ASC, pk.id ASC
                             LIMIT p_limit::bigint + p_offset) k
                     ORDER BY k.created_at ASC, k.id ASC
                     LIMIT p_limit OFFSET p_offset) t
              JOIN posts p ON p.id = t.id
              JOIN users u ON u.id = p.user_id;
        END IF;
        RETURN v_feed;
    END IF;

    -- Tags or search: the filters need the row. Only the filters in use enter the query, so
    -- each is planned for what it is.
    IF cardinality(p_tags) > 0 THEN
        v_filters := v_filters || ' AND p.tags @> $2';
    END IF;
    IF p_search <> '' THEN
        -- The user's text is matched literally: %, _ and \ lose their ILIKE meaning.
        v_pattern := '%' || replace(replace(replace(p_search, '\', '\\'), '%', '\%'), '_', '\_') || '%';
        v_filters := v_filters || ' AND (p.title ILIKE $3 OR p.content ILIKE $3)';
    END IF;
    IF p_since IS NOT NULL THEN
        v_filters := v_filters || ' AND p.created_at >= $4';
    END IF;
    IF p_until IS NOT NULL THEN
        v_filters := v_filters || ' AND p.created_at <= $5';
    END IF;
    IF p_after_id IS NOT NULL THEN
        v_filters := v_filters || format(' AND (p.created_at, p.id) %s ($8, $9)',
                                         CASE p_sort WHEN 'desc' THEN '<' ELSE '>' END);
    END IF;

    -- For the user and each followed user (followers_follower_idx), walk that
    -- user's posts in feed order on posts_user_created_idx and stop after
    -- offset + limit rows; then merge, cut the page, and only for the page's
    -- rows count comments and fetch authors.
    EXECUTE format($q$
        SELECT coalesce(array_to_json(array_agg(social.post_json(
                                     p::posts, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
                                 ORDER BY p.created_at %1$s, p.id %1$s)), '[]')
          FROM (SELECT p.*
                  FROM (SELECT $1 AS user_id
                        UNION ALL
                        SELECT f.user_id FROM followers f WHERE f.follower_id = $1) a
                 CROSS JOIN LATERAL (
                        SELECT p.*
                          FROM posts p
                         WHERE p.user_id = a.user_id %2$s
                         ORDER BY p.created_at %1$s, p.id %1$s
                         LIMIT $6 + $7) p
                 ORDER BY p.created_at %1$s, p.id %1$s
                 LIMIT $6 OFFSET $7) p
          JOIN users u ON u.id = p.user_id
        $q$, p_sort, v_filters)
    INTO v_feed
    USING p_user_id, p_tags, v_pattern, p_since, p_until, p_limit::bigint, p_offset::bigint,
          p_after_created_at, p_after_id;

    RETURN v_feed;
END;
$$;

COMMENT ON FUNCTION social.feed_read_time(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint) IS
    'The feed computed from posts and followers at read time: the reference for the timeline '
    'and its fallback. Arguments as api.user_feed, already checked.';

CREATE OR REPLACE FUNCTION social.feed_timeline(
    p_user_id bigint,
    p_limit integer,
    p_offset integer,
    p_sort text,
    p_since timestamptz,
    p_until timestamptz,
    p_after_created_at timestamptz,
    p_after_id bigint
)
RETURNS json
LANGUAGE plpgsql
STABLE
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_need bigint := p_offset::bigint + p_limit;
    v_horizon timeline_horizons;
    v_at timestamptz[];
    v_ids bigint[];
BEGIN
    -- Beyond any timeline (and past an array subscript's integer range): the read-time query.
    IF v_need >= 2147483647 THEN
        RETURN NULL;
    END IF;
    SELECT * INTO v_horizon FROM timeline_horizons WHERE owner_id = p_user_id;

    IF p_sort = 'asc' THEN
        -- Oldest first starts below the horizon unless the cursor or since is above it.
        IF v_horizon.owner_id IS NOT NULL
           AND NOT coalesce(p_since > v_horizon.created_at, false)
           AND NOT coalesce((p_after_created_at, p_after_id)
                            >= (v_horizon.created_at, v_horizon.post_id), false) THEN
            RETURN NULL;
        END IF;
        SELECT array_agg(c.created_at ORDER BY c.created_at, c.id), array_agg(c.id ORDER BY c.created_at, c.id)
          INTO v_at, v_ids
          FROM ((SELECT t.created_at, t.post_id AS id
                   FROM timeline t
                  WHERE t.owner_id = p_user_id
                    AND t.created_at >= coalesce(p_since, '-infinity')
                    AND t.created_at <= coalesce(p_until, 'infinity')
                    AND (t.created_at, t.post_id) > (coalesce(p_after_created_at, '-infinity'),
                                                     coalesce(p_after_id, 0))
                  ORDER BY t.created_at, t.post_id
                  LIMIT v_need)
                UNION
                SELECT k.created_at, k.id
                  FROM pulled_follows pf
                 CROSS JOIN LATERAL (
                        SELECT p.created_at, p.id
                          FROM posts p
                         WHERE p.user_id = pf.author_id
                           AND p.created_at >= coalesce(p_since, '-infinity')
                           AND p.created_at <= coalesce(p_until, 'infinity')
                           AND (p.created_at, p.id) > (coalesce(p_after_created_at, '-infinity'),
                                                       coalesce(p_after_id, 0))
                         ORDER BY p.created_at, p.id
                         LIMIT v_need) k
                 WHERE pf.follower_id = p_user_id
                UNION
                SELECT q.created_at, q.post_id
                  FROM fanout_queue q
                 WHERE EXISTS (SELECT FROM followers f
                                WHERE f.user_id = q.author_id AND f.follower_id = p_user_id)
                   AND q.created_at >= coalesce(p_since, '-infinity')
                   AND q.created_at <= coalesce(p_until, 'infinity')
                   AND (q.created_at, q.post_id) > (coalesce(p_after_created_at, '-infinity'),
                                                    coalesce(p_after_id, 0))
                 ORDER BY 1, 2
                 LIMIT v_need) c;
    ELSE
        SELECT array_agg(c.created_at ORDER BY c.created_at DESC, c.id DESC),
               array_agg(c.id ORDER BY c.created_at DESC, c.id DESC)
          INTO v_at, v_ids
          FROM ((SELECT t.created_at, t.post_id AS id
                   FROM timeline t
                  WHERE t.owner_id = p_user_id
                    AND t.created_at >= coalesce(p_since, '-infinity')
                    AND t.created_at <= coalesce(p_until, 'infinity')
                    AND (t.created_at, t.post_id) < (coalesce(p_after_created_at, 'infinity'),
                                                     coalesce(p_after_id, 0))
                  ORDER BY t.created_at DESC, t.post_id DESC
                  LIMIT v_need)
                UNION
                SELECT k.created_at, k.id
                  FROM pulled_follows pf
                 CROSS JOIN LATERAL (
                        SELECT p.created_at, p.id
                          FROM posts p
                         WHERE p.user_id = pf.author_id
                           AND p.created_at >= coalesce(p_since, '-infinity')
                           AND p.created_at <= coalesce(p_until, 'infinity')
                           AND (p.created_at, p.id) < (coalesce(p_after_created_at, 'infinity'),
                                                       coalesce(p_after_id, 0))
                         ORDER BY p.created_at DESC, p.id DESC
                         LIMIT v_need) k
                 WHERE pf.follower_id = p_user_id
                UNION
                SELECT q.created_at, q.post_id
                  FROM fanout_queue q
                 WHERE EXISTS (SELECT FROM followers f
                                WHERE f.user_id = q.author_id AND f.follower_id = p_user_id)
                   AND q.created_at >= coalesce(p_since, '-infinity')
                   AND q.created_at <= coalesce(p_until, 'infinity')
                   AND (q.created_at, q.post_id) < (coalesce(p_after_created_at, 'infinity'),
                                                    coalesce(p_after_id, 0))
                 ORDER BY 1 DESC, 2 DESC
                 LIMIT v_need) c;
        -- Exact when nothing is missing (no horizon), when since is above the horizon, or when
        -- the page's last item is: everything above the horizon is in the timeline.
        IF v_horizon.owner_id IS NOT NULL
           AND NOT coalesce(p_since > v_horizon.created_at, false)
           AND NOT coalesce(cardinality(v_ids) = v_need
                            AND (v_at[v_need], v_ids[v_need])
                                > (v_horizon.created_at, v_horizon.post_id), false) THEN
            RETURN NULL;
        END IF;
    END IF;

    RETURN (
        SELECT coalesce(array_to_json(array_agg(social.post_json(
                                     p, (SELECT count(*) FROM comments c WHERE c.post_id = p.id), u)
                                 ORDER BY x.n)), '[]')
          FROM unnest(v_ids[p_offset + 1:v_need]) WITH ORDINALITY AS x(id, n)
          JOIN posts p ON p.id = x.id
          JOIN users u ON u.id = p.user_id);
END;
$$;
COMMENT ON FUNCTION social.feed_timeline(bigint, integer, integer, text, timestamptz, timestamptz, timestamptz, bigint) IS
    'A feed page from the user''s timeline and its pulled authors'' posts, or NULL when the '
    'timeline cannot answer it exactly (the page reaches below its horizon).';

CREATE OR REPLACE FUNCTION api.user_feed(
    p_user_id bigint,
    p_limit integer,
    p_offset integer,
    p_sort text,
    p_tags text[],
    p_search text,
    p_since timestamptz,
    p_until timestamptz,
    p_after_created_at timestamptz DEFAULT NULL,
    p_after_id bigint DEFAULT NULL
)
RETURNS json
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 20 THEN
        RAISE EXCEPTION 'limit must be between 1 and 20' USING ERRCODE = 'SN400';
    END IF;
    IF p_offset IS NULL OR p_offset < 0 THEN
        RAISE EXCEPTION 'offset must not be negative' USING ERRCODE = 'SN400';
    END IF;
    IF p_sort IS NULL OR p_sort NOT IN ('asc', 'desc') THEN
        RAISE EXCEPTION 'sort must be asc or desc' USING ERRCODE = 'SN400';
    END IF;
    IF cardinality(p_tags) > 5 THEN
        RAISE EXCEPTION 'at most 5 tags may be given' USING ERRCODE = 'SN400';
    END IF;
    IF length(p_search) > 100 THEN
        RAISE EXCEPTION 'search must be at most 100 characters' USING ERRCODE = 'SN400';
    END IF;

    IF (p_after_created_at IS NULL) <> (p_after_id IS NULL) THEN
        RAISE EXCEPTION 'a cursor needs both its time and its id' USING ERRCODE = 'SN400';
    END IF;
    IF p_after_id IS NOT NULL AND p_offset <> 0 THEN
        RAISE EXCEPTION 'a cursor cannot be combined with an offset' USING ERRCODE = 'SN400';
    END IF;

    -- Tag and text filters need the rows: only the read-time query answers them.
    IF coalesce(cardinality(p_tags), 0) = 0 AND coalesce(p_search, '') = ''
       AND (SELECT serve_from_timeline FROM feed_settings) THEN
        RETURN coalesce(
            social.feed_timeline(p_user_id, p_limit, p_offset, p_sort, p_since, p_until,
                                 p_after_created_at, p_after_id),
            social.feed_read_time(p_user_id, p_limit, p_offset, p_sort, NULL, NULL, p_since,
                                  p_until, p_after_created_at, p_after_id));
    END IF;
    RETURN social.feed_read_time(p_user_id, p_limit, p_offset, p_sort, p_tags, p_search, p_since,
                                 p_until, p_after_created_at, p_after_id);
END;
$$;

REVOKE ALL ON FUNCTION api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint) TO gosocial_app;

COMMENT ON FUNCTION api.user_feed(bigint, integer, integer, text, text[], text, timestamptz, timestamptz, timestamptz, bigint) IS
    'Returns a page of posts by p_user_id and the users it follows, as a json array of posts '
    'with comments_count and author, ordered by created_at then id in p_sort direction. Filters: '
    'posts having all p_tags, p_search as a case-insensitive substring of title or content, '
    'created_at within [p_since, p_until]; NULL or empty means no filter. A cursor '
    '(p_after_created_at, p_after_id), the position of the previous page''s last post, starts '
    'the page after it. Raises SN400 unless 1 <= p_limit <= 20, p_offset >= 0, p_sort is asc or '
    'desc, at most 5 tags, a search of at most 100 characters, a cursor given whole and not '
    'with an offset.';

COMMIT;

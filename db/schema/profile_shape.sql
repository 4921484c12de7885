-- Deploy gosocial:schema/profile_shape to pg
-- requires: schema/shapes
-- requires: schema/followers

BEGIN;

-- Revision 1.2's user: the 1.1 shape plus its three counts. Not an inlined expression like the
-- other shapes: it counts (index-only, on followers' two indexes and posts_user_created_idx),
-- and is read once per user, by the cache's loader and the few routes that answer one user;
-- a cached profile's counts may lag by up to CACHE_TTL (docs/api.md).
CREATE OR REPLACE FUNCTION social.profile_json(u social.users, r social.roles,
                                               with_email boolean DEFAULT true)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"id":%s,"username":%s%s,"created_at":%s,"is_active":%s,'
                  '"role":{"id":%s,"name":%s,"level":%s},"followers_count":%s,'
                  '"following_count":%s,"posts_count":%s}',
                  u.id, to_json(u.username),
                  CASE WHEN with_email THEN ',"email":' || to_json(u.email) ELSE '' END,
                  social.time_json(u.created_at), to_json(u.is_active), r.id, to_json(r.name),
                  r.level,
                  (SELECT count(*) FROM social.followers f WHERE f.user_id = u.id),
                  (SELECT count(*) FROM social.followers f WHERE f.follower_id = u.id),
                  (SELECT count(*) FROM social.posts p WHERE p.user_id = u.id))::json
$$;
COMMENT ON FUNCTION social.profile_json(social.users, social.roles, boolean) IS
    'The API''s user object (revision 1.2): user u with its role r and its followers, following '
    'and posts counts, compact; without email unless with_email.';

COMMIT;

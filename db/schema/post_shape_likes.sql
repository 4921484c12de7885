-- Deploy gosocial:schema/post_shape_likes to pg
-- requires: schema/shapes
-- requires: schema/likes

BEGIN;

-- Revision 1.2's post: the 1.1 shape plus likes_count and liked (whether the viewer likes it).
-- An overload beside the three-argument one of schema/shapes, which the 1.1 functions call until
-- their reworks are deployed (no moment of an upgrade finds a function calling a shape that is
-- gone); the release after 1.2 drops the old one.
CREATE OR REPLACE FUNCTION social.post_json(p social.posts, comments_count bigint,
                                            likes_count bigint, liked boolean,
                                            author social.users)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"id":%s,"user_id":%s,"title":%s,"content":%s,"tags":%s,"version":%s,'
                  '"created_at":%s,"updated_at":%s,"comments_count":%s,"likes_count":%s,'
                  '"liked":%s,"user":{"id":%s,"username":%s}}',
                  p.id, p.user_id, to_json(p.title), to_json(p.content), array_to_json(p.tags),
                  p.version, social.time_json(p.created_at), social.time_json(p.updated_at),
                  comments_count, likes_count, to_json(liked), author.id,
                  to_json(author.username))::json
$$;
COMMENT ON FUNCTION social.post_json(social.posts, bigint, bigint, boolean, social.users) IS
    'The API''s post object (revision 1.2): post p with its comment and like counts, whether '
    'the viewer likes it, and its author, compact.';

COMMIT;

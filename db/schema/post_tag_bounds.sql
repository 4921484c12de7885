-- Deploy gosocial:schema/post_tag_bounds to pg
-- requires: schema/posts

BEGIN;

-- The API's tag bounds (at most 10 tags of 1 to 32 characters) held by the table itself, like
-- the title and content bounds: a caller that skips the HTTP layer's models meets them too.
CREATE FUNCTION social.lengths_between(p_values text[], p_min integer, p_max integer)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(bool_and(length(v) BETWEEN p_min AND p_max), true) FROM unnest(p_values) v
$$;
COMMENT ON FUNCTION social.lengths_between(text[], integer, integer) IS
    'True when every element''s length is between p_min and p_max (an empty array is).';

ALTER TABLE social.posts
    ADD CONSTRAINT posts_tags_check
    CHECK (cardinality(tags) <= 10 AND social.lengths_between(tags, 1, 32));

COMMIT;

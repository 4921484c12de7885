-- Deploy gosocial:schema/post_text_not_blank to pg
-- requires: schema/posts

BEGIN;

-- A title or content of only whitespace is refused (23514 -> 400; docs/api.md, Routes). The models
-- (api/schemas.py, NOT_BLANK) say the same for per-field details. Existing rows are checked:
-- the deploy fails, naming the constraint, if one is blank.
ALTER TABLE social.posts
    ADD CONSTRAINT posts_title_not_blank CHECK (title ~ '\S'),
    ADD CONSTRAINT posts_content_not_blank CHECK (content ~ '\S');

COMMIT;

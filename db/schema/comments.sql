-- Deploy gosocial:schema/comments to pg
-- requires: schema/posts

BEGIN;

CREATE TABLE social.comments (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id    bigint      NOT NULL REFERENCES social.posts ON DELETE CASCADE,
    user_id    bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    content    text        NOT NULL CHECK (length(content) BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Serves listing a post's comments in order, counting them and the cascade from posts.
CREATE INDEX comments_post_created_idx ON social.comments (post_id, created_at, id);
CREATE INDEX comments_user_id_idx ON social.comments (user_id);

COMMIT;

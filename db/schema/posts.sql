-- Deploy gosocial:schema/posts to pg
-- requires: schema/users

BEGIN;

CREATE TABLE social.posts (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    title      text        NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    content    text        NOT NULL CHECK (length(content) BETWEEN 1 AND 1000),
    tags       text[]      NOT NULL DEFAULT '{}',
    -- Optimistic locking: updates name the version they read.
    version    integer     NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The feed walks each followed user's posts newest first and stops at the page.
CREATE INDEX posts_user_created_idx ON social.posts (user_id, created_at DESC, id DESC);
CREATE INDEX posts_tags_idx ON social.posts USING gin (tags);
CREATE INDEX posts_title_trgm_idx ON social.posts USING gin (title social.gin_trgm_ops);
CREATE INDEX posts_content_trgm_idx ON social.posts USING gin (content social.gin_trgm_ops);

COMMIT;

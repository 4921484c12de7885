-- Deploy gosocial:schema/likes to pg
-- requires: schema/posts

BEGIN;

-- A like is a (post, user) pair: liking twice keeps the first (its place in the list and its
-- notification). The primary key answers `liked` with one probe per post; the list index
-- gives a post's likers newest first.
CREATE TABLE social.likes (
    post_id    bigint      NOT NULL REFERENCES social.posts ON DELETE CASCADE,
    user_id    bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX likes_list_idx ON social.likes (post_id, created_at, user_id);
CREATE INDEX likes_user_idx ON social.likes (user_id);

COMMIT;

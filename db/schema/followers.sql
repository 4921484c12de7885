-- Deploy gosocial:schema/followers to pg
-- requires: schema/users

BEGIN;

CREATE TABLE social.followers (
    user_id     bigint      REFERENCES social.users ON DELETE CASCADE,  -- the followed user
    follower_id bigint      REFERENCES social.users ON DELETE CASCADE,  -- who follows
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, follower_id),
    CHECK (user_id <> follower_id)
);

-- The primary key answers "who follows X"; the feed asks "whom does X follow".
CREATE INDEX followers_follower_idx ON social.followers (follower_id, user_id);

COMMIT;

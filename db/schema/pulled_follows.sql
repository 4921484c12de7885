-- Deploy gosocial:schema/pulled_follows to pg
-- requires: schema/users
-- requires: schema/pulled_authors

BEGIN;

-- Per reader, the pulled authors it follows: the authors whose posts a page merges at read time.

CREATE TABLE social.pulled_follows (
    follower_id bigint NOT NULL REFERENCES social.users ON DELETE CASCADE,
    author_id   bigint NOT NULL REFERENCES social.pulled_authors ON DELETE CASCADE,
    PRIMARY KEY (follower_id, author_id)
);
CREATE INDEX pulled_follows_author_idx ON social.pulled_follows (author_id);
COMMENT ON TABLE social.pulled_follows IS
    'Who follows which pulled author (social.pulled_authors): a subset of social.followers.';

COMMIT;

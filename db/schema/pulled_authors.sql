-- Deploy gosocial:schema/pulled_authors to pg
-- requires: schema/users

BEGIN;

-- Hybrid fan-out: an author with more than fanout_limit followers is "pulled": its new posts are
-- not copied to every follower's timeline but merged into each page at read time from
-- posts_user_created_idx (schema/pulled_follows lists, per reader, the pulled authors it follows).

CREATE TABLE social.pulled_authors (
    author_id bigint PRIMARY KEY REFERENCES social.users ON DELETE CASCADE
);
COMMENT ON TABLE social.pulled_authors IS
    'Authors whose posts are merged into feeds at read time (they had more than fanout_limit '
    'followers when they posted); sticky, so a reader''s view never flips between the two ways.';

COMMIT;

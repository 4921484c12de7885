-- Deploy gosocial:schema/fanout_queue to pg
-- requires: schema/posts

BEGIN;

-- Large fan-outs leave the posting transaction: an author with more than fanout_inline_limit
-- followers has its post queued here and copied right after commit by api.fan_out_queued, which
-- the service calls when woken by NOTIFY social_fanout (and on a timer, for wake-ups it missed).
-- Until then the queued post is merged into its followers' pages at read time, so no page ever
-- lacks it.

CREATE TABLE social.fanout_queue (
    created_at timestamptz NOT NULL,
    post_id    bigint      NOT NULL REFERENCES social.posts ON DELETE CASCADE,
    author_id  bigint      NOT NULL,
    PRIMARY KEY (created_at, post_id)
);
CREATE UNIQUE INDEX fanout_queue_post_idx ON social.fanout_queue (post_id);
COMMENT ON TABLE social.fanout_queue IS
    'Posts whose copy into followers'' timelines waits for api.fan_out_queued; merged into '
    'their followers'' pages at read time meanwhile.';

COMMIT;

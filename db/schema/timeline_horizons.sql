-- Deploy gosocial:schema/timeline_horizons to pg
-- requires: schema/users

BEGIN;

-- Above its owner's horizon a timeline is complete, so a page whose items all lie above it is
-- exact; any other page is answered by the read-time query (functions/user_feed).

CREATE TABLE social.timeline_horizons (
    owner_id   bigint      PRIMARY KEY REFERENCES social.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    post_id    bigint      NOT NULL
);
COMMENT ON TABLE social.timeline_horizons IS
    'Per owner, the newest feed position (created_at, post_id) that may be missing from its '
    'timeline; every feed post above it is in the timeline. No row: the timeline is complete.';

COMMIT;

-- Deploy gosocial:schema/blocks_and_mutes to pg
-- requires: schema/users

BEGIN;

-- A block separates two users both ways; a mute hides the muted user from the muter only
-- (docs/api.md, Blocks and mutes). What each one hides is decided by social.separated and
-- social.muting (schema/visibility), never by reading these tables elsewhere.
-- The lists (newest first, keyset cursor on (created_at, other user)) read the primary key's
-- owner side; the reverse index serves "who blocks me" and the deletion of a user.
CREATE TABLE social.blocks (
    blocker_id bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    blocked_id bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON social.blocks (blocked_id, blocker_id);
CREATE INDEX blocks_list_idx ON social.blocks (blocker_id, created_at, blocked_id);

CREATE TABLE social.mutes (
    muter_id   bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    muted_id   bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (muter_id, muted_id),
    CHECK (muter_id <> muted_id)
);
CREATE INDEX mutes_muted_idx ON social.mutes (muted_id, muter_id);
CREATE INDEX mutes_list_idx ON social.mutes (muter_id, created_at, muted_id);

COMMIT;

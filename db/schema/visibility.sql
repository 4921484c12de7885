-- Deploy gosocial:schema/visibility to pg
-- requires: schema/blocks_and_mutes

BEGIN;

-- Who may see whom, in one place (docs/database.md, Visibility). Every api.* function that
-- shows a user, a post, a comment, a like or a notification filters through these two, and
-- nothing else reads social.blocks or social.mutes to decide what to show (api.get_relationship
-- reports them as they are). Plain SQL expressions, so
-- that PostgreSQL inlines them into the calling query as two index probes.

CREATE OR REPLACE FUNCTION social.separated(a bigint, b bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM social.blocks k WHERE k.blocker_id = a AND k.blocked_id = b)
        OR EXISTS (SELECT FROM social.blocks k WHERE k.blocker_id = b AND k.blocked_id = a)
$$;
COMMENT ON FUNCTION social.separated(bigint, bigint) IS
    'Whether a block stands between users a and b, made by either: then neither sees the other '
    'nor anything of the other''s.';

CREATE OR REPLACE FUNCTION social.muting(muter bigint, muted bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM social.mutes m WHERE m.muter_id = muter AND m.muted_id = muted)
$$;
COMMENT ON FUNCTION social.muting(bigint, bigint) IS
    'Whether muter mutes muted: muted''s posts leave muter''s feed and stream, its comments '
    'muter''s comment lists, and it notifies muter of nothing.';

CREATE OR REPLACE FUNCTION social.separated_from(u bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT k.blocked_id FROM social.blocks k WHERE k.blocker_id = u
    UNION
    SELECT k.blocker_id FROM social.blocks k WHERE k.blocked_id = u
$$;
COMMENT ON FUNCTION social.separated_from(bigint) IS
    'Every user a block separates from u (social.separated as a set): the service keeps it with '
    'the cached caller, to answer a cached profile with 404 across a block.';

CREATE OR REPLACE FUNCTION social.mutes_anyone(muter bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM social.mutes m WHERE m.muter_id = muter)
$$;
COMMENT ON FUNCTION social.mutes_anyone(bigint) IS
    'Whether muter mutes anyone: a reader who does not skips the mute filter''s lookups.';

CREATE OR REPLACE FUNCTION social.lock_pair(a bigint, b bigint) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(1885958770, hashtext(least(a, b) || ':' || greatest(a, b)))
$$;
COMMENT ON FUNCTION social.lock_pair(bigint, bigint) IS
    'Takes, until the transaction ends, the advisory lock of the pair {a, b}: a block and an act '
    'between the same two users (a follow, a like, a comment) run one after the other, so that '
    'no act slips in beside a block made at the same moment.';

COMMIT;

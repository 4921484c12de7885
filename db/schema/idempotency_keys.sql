-- Deploy gosocial:schema/idempotency_keys to pg
-- requires: schema/users
-- requires: schema/shapes

BEGIN;

-- Idempotent creation (docs/api.md, Routes): the first answer of a creation that carried an
-- Idempotency-Key, written in the transaction that created the row, so a key is spent exactly
-- when its row exists, whichever instance answered and whatever restarted since. Keys are the
-- user's own.
CREATE TABLE social.idempotency_keys (
    user_id      bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    key          text        NOT NULL CONSTRAINT idempotency_keys_key_check
                                      CHECK (key ~ '^[ -~]{1,255}$'),
    -- SHA-256 of the canonical request (route, path ids, validated body): the same key with
    -- another request is refused rather than answered with the first one's result.
    request_hash bytea       NOT NULL CHECK (octet_length(request_hash) = 32),
    status       smallint    NOT NULL,
    body         json        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE INDEX idempotency_keys_created_at_idx ON social.idempotency_keys (created_at);

-- How long a key is kept (24 hours, as docs/api.md promises); the replay rule and the sweeper both
-- read it here.
CREATE FUNCTION social.idempotency_ttl()
RETURNS interval
LANGUAGE sql
IMMUTABLE
AS $$ SELECT interval '24 hours' $$;

-- The first step of every keyed creation (api.create_post_once, api.create_comment_once):
-- (NULL, NULL) when the caller is to do the work, now holding the key until it commits; else
-- the first answer, to be answered again.
--
-- The key's lock is a transaction-level advisory lock, tried, never waited for: a second
-- request while the first is running is SN409 at once, not a connection held until the first
-- one ends. PostgreSQL ends a transaction's visibility (ProcArrayEndTransaction) before it
-- releases its locks, so whoever takes the lock next sees the first transaction's row in its
-- next statement; the primary key is the last guard (a second insert is 23505, rolled back
-- with whatever it created).
CREATE FUNCTION social.idempotent_replay(
    p_user_id bigint, p_key text, p_request_hash bytea, OUT status integer, OUT body json)
LANGUAGE plpgsql
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_hash    bytea;
    v_created timestamptz;
BEGIN
    IF p_user_id IS NULL OR p_key IS NULL OR p_request_hash IS NULL THEN
        RAISE EXCEPTION 'a user, an Idempotency-Key and a request hash are required'
            USING ERRCODE = 'SN400';
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtextextended(p_user_id::text || ':' || p_key, 0)) THEN
        RAISE EXCEPTION 'a request with this Idempotency-Key is still in progress; try again shortly'
            USING ERRCODE = 'SN409';
    END IF;
    -- A new statement, so a new snapshot: taken after the lock, it holds the previous holder's row.
    SELECT k.request_hash, k.status, k.body, k.created_at INTO v_hash, status, body, v_created
      FROM idempotency_keys k
     WHERE k.user_id = p_user_id AND k.key = p_key;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_created <= now() - idempotency_ttl() THEN
        -- Past its 24 hours but not swept yet: spent, as if the sweeper had been.
        DELETE FROM idempotency_keys k WHERE k.user_id = p_user_id AND k.key = p_key;
        status := NULL;
        body := NULL;
        RETURN;
    END IF;
    IF v_hash <> p_request_hash THEN
        RAISE EXCEPTION 'this Idempotency-Key was already used with a different request'
            USING ERRCODE = 'SN422';
    END IF;
END;
$$;

REVOKE ALL ON FUNCTION social.idempotent_replay(bigint, text, bytea) FROM PUBLIC;

COMMIT;

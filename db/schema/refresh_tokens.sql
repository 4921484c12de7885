-- Deploy gosocial:schema/refresh_tokens to pg
-- requires: schema/users

BEGIN;

-- One family per login: rotation adds to it, reuse of a used token revokes it all.
CREATE TABLE social.refresh_tokens (
    token_hash bytea       PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    family_id  uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);

CREATE INDEX refresh_tokens_family_id_idx ON social.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON social.refresh_tokens (user_id);

COMMIT;

-- Deploy gosocial:schema/password_resets to pg
-- requires: schema/users

BEGIN;

-- One live reset token per user (a newer request replaces the older one), stored as a hash:
-- a database leak does not reset passwords.
CREATE TABLE social.password_resets (
    user_id    bigint      PRIMARY KEY REFERENCES social.users ON DELETE CASCADE,
    token_hash bytea       NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL
);

COMMIT;

-- Deploy gosocial:schema/invitations to pg
-- requires: schema/users

BEGIN;

-- Only a hash of the token is stored: a database leak does not activate accounts.
CREATE TABLE social.invitations (
    token_hash bytea       PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    expires_at timestamptz NOT NULL
);

CREATE INDEX invitations_user_id_idx ON social.invitations (user_id);
-- For the periodic purge of expired invitations.
CREATE INDEX invitations_expires_at_idx ON social.invitations (expires_at);

COMMIT;

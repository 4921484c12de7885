-- Deploy gosocial:schema/token_epoch to pg
-- requires: schema/users

BEGIN;

-- Access tokens carry the epoch they were issued in; the service refuses one whose epoch is not
-- the user's. Bumping it (password reset, password change) ends every session at once, at no
-- cost per request: the epoch travels with the cached user (api.get_session_user).
ALTER TABLE social.users ADD COLUMN token_epoch integer NOT NULL DEFAULT 0;

COMMIT;

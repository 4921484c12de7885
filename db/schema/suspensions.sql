-- Deploy gosocial:schema/suspensions to pg
-- requires: schema/users
-- requires: schema/token_epoch

BEGIN;

-- A suspended account (a moderation decision) is inactive like one never activated, but the two
-- must not be confused: only a never-activated account may get another invitation or use one.
-- The CHECK keeps a suspended account inactive whatever writes it (an activation link included).
ALTER TABLE social.users
    ADD COLUMN suspended_at timestamptz,
    ADD CONSTRAINT users_suspended_inactive CHECK (suspended_at IS NULL OR NOT is_active);

COMMIT;

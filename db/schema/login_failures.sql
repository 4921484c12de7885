-- Deploy gosocial:schema/login_failures to pg
-- requires: schema/namespaces

BEGIN;

-- Login throttling per account (docs/api.md, Routes): attempts per email, known or not (an unknown
-- email is throttled exactly like a known one), in a window that starts at the first failure. Kept
-- here rather than in Redis: the login needs PostgreSQL anyway, so the control is up exactly when
-- logins are, and every worker and instance shares one count (api/routes/auth.py).
CREATE TABLE social.login_failures (
    email       text        PRIMARY KEY CHECK (email = lower(email)),
    failures    integer     NOT NULL CHECK (failures > 0),
    window_ends timestamptz NOT NULL
);

CREATE INDEX login_failures_window_ends_idx ON social.login_failures (window_ends);

COMMIT;

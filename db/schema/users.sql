-- Deploy gosocial:schema/users to pg
-- requires: schema/roles

BEGIN;

CREATE TABLE social.users (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL CHECK (length(username) BETWEEN 1 AND 100),
    email         text        NOT NULL CHECK (length(email) BETWEEN 3 AND 255),
    password_hash text        NOT NULL,
    is_active     boolean     NOT NULL DEFAULT false,
    role_id       smallint    NOT NULL DEFAULT 1 REFERENCES social.roles,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Unique case-insensitively; api.register_user maps violations by these names.
CREATE UNIQUE INDEX users_username_key ON social.users (lower(username));
CREATE UNIQUE INDEX users_email_key ON social.users (lower(email));

COMMIT;

-- Deploy gosocial:schema/roles to pg
-- requires: schema/namespaces

BEGIN;

-- Permissions compare levels, so a new role slots in without code changes.
CREATE TABLE social.roles (
    id          smallint PRIMARY KEY,
    name        text     NOT NULL UNIQUE,
    level       integer  NOT NULL UNIQUE,
    description text     NOT NULL
);

INSERT INTO social.roles (id, name, level, description) VALUES
    (1, 'user',      1, 'Creates posts and comments, edits and deletes their own posts'),
    (2, 'moderator', 2, 'May also edit other users'' posts'),
    (3, 'admin',     3, 'May also delete other users'' posts and change roles');

COMMIT;

-- Revert gosocial:schema/pulled_authors from pg

BEGIN;

DROP TABLE social.pulled_authors;

COMMIT;

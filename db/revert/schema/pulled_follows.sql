-- Revert gosocial:schema/pulled_follows from pg

BEGIN;

DROP TABLE social.pulled_follows;

COMMIT;

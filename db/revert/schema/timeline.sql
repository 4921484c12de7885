-- Revert gosocial:schema/timeline from pg

BEGIN;

DROP TABLE social.timeline;

COMMIT;

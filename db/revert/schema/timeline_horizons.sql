-- Revert gosocial:schema/timeline_horizons from pg

BEGIN;

DROP TABLE social.timeline_horizons;

COMMIT;

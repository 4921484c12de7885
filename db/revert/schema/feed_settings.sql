-- Revert gosocial:schema/feed_settings from pg

BEGIN;

DROP TABLE social.feed_settings;

COMMIT;

-- Revert gosocial:schema/fanout_queue from pg

BEGIN;

DROP TABLE social.fanout_queue;

COMMIT;

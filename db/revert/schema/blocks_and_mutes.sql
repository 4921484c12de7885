-- Revert gosocial:schema/blocks_and_mutes from pg

BEGIN;

DROP TABLE social.mutes;
DROP TABLE social.blocks;

COMMIT;

-- Verify gosocial:schema/blocks_and_mutes on pg

BEGIN;

SELECT blocker_id, blocked_id, created_at FROM social.blocks WHERE false;
SELECT muter_id, muted_id, created_at FROM social.mutes WHERE false;

ROLLBACK;

-- Revert gosocial:functions/trim_timelines from pg

BEGIN;

DROP FUNCTION social.trim_timelines(bigint[]);

COMMIT;

-- Revert gosocial:schema/visibility from pg

BEGIN;

DROP FUNCTION social.lock_pair(bigint, bigint);
DROP FUNCTION social.mutes_anyone(bigint);
DROP FUNCTION social.separated_from(bigint);
DROP FUNCTION social.muting(bigint, bigint);
DROP FUNCTION social.separated(bigint, bigint);

COMMIT;

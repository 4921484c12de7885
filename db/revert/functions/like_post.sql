-- Revert gosocial:functions/like_post from pg

BEGIN;

DROP FUNCTION api.like_post(bigint, bigint);

COMMIT;

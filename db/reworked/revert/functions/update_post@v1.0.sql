-- Revert gosocial:functions/update_post from pg

BEGIN;

DROP FUNCTION api.update_post(bigint, bigint, integer, text, text, text[]);

COMMIT;

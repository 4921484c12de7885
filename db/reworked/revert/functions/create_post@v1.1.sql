-- Revert gosocial:functions/create_post from pg

BEGIN;

DROP FUNCTION api.create_post(bigint, text, text, text[]);

COMMIT;

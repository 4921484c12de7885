-- Revert gosocial:functions/rehash_password from pg

BEGIN;

DROP FUNCTION api.rehash_password(bigint, text, text);

COMMIT;

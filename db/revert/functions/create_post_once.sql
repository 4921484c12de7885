-- Revert gosocial:functions/create_post_once from pg

BEGIN;

DROP FUNCTION api.create_post_once(bigint, text, bytea, text, text, text[]);

COMMIT;

-- Revert gosocial:schema/permissions from pg

BEGIN;

DROP FUNCTION social.authorize_post(bigint, bigint, text, text);
DROP FUNCTION social.has_role(bigint, text);

COMMIT;

-- Verify gosocial:schema/token_epoch on pg

BEGIN;

SELECT token_epoch FROM social.users WHERE false;

ROLLBACK;

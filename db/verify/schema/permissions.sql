-- Verify gosocial:schema/permissions on pg

BEGIN;

SELECT 'social.has_role(bigint, text)'::regprocedure;
SELECT 'social.authorize_post(bigint, bigint, text, text)'::regprocedure;

ROLLBACK;

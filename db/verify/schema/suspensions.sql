-- Verify gosocial:schema/suspensions on pg

BEGIN;

SELECT suspended_at FROM social.users WHERE false;
SELECT 1 / count(*) FROM pg_catalog.pg_constraint
 WHERE conrelid = 'social.users'::regclass AND conname = 'users_suspended_inactive';

ROLLBACK;

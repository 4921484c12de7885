-- Verify gosocial:schema/login_failures on pg

BEGIN;

SELECT email, failures, window_ends FROM social.login_failures WHERE false;

ROLLBACK;

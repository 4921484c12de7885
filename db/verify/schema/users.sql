-- Verify gosocial:schema/users on pg

BEGIN;

SELECT id, username, email, password_hash, is_active, role_id, created_at, updated_at
  FROM social.users WHERE false;

SELECT 'social.users_username_key'::regclass, 'social.users_email_key'::regclass;

ROLLBACK;

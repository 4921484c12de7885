-- Revert gosocial:schema/profile_shape from pg

BEGIN;

DROP FUNCTION social.profile_json(social.users, social.roles, boolean);

COMMIT;

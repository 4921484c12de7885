-- Verify gosocial:schema/profile_shape on pg

BEGIN;

SELECT 'social.profile_json(social.users, social.roles, boolean)'::regprocedure;

ROLLBACK;

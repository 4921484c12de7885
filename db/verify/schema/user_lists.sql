-- Verify gosocial:schema/user_lists on pg

BEGIN;

SELECT 'social.user_ref_json(social.users)'::regprocedure,
       'social.page_json(json, timestamptz, bigint)'::regprocedure,
       'social.check_page(integer, integer, timestamptz, bigint)'::regprocedure;

ROLLBACK;

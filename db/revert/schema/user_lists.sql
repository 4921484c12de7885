-- Revert gosocial:schema/user_lists from pg

BEGIN;

DROP FUNCTION social.check_page(integer, integer, timestamptz, bigint);
DROP FUNCTION social.page_json(json, timestamptz, bigint);
DROP FUNCTION social.user_ref_json(social.users);

COMMIT;

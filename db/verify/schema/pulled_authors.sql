-- Verify gosocial:schema/pulled_authors on pg

BEGIN;

SELECT author_id FROM social.pulled_authors WHERE false;

ROLLBACK;

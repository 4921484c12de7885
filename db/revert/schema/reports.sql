-- Revert gosocial:schema/reports from pg

BEGIN;

DROP FUNCTION social.report_json(social.reports, social.users, social.users);
DROP TABLE social.reports;

COMMIT;

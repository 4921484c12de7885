-- Verify gosocial:schema/reports on pg

BEGIN;

SELECT id, reporter_id, target_type, target_id, target_user_id, reason, status, action,
       created_at, closed_at, closed_by
  FROM social.reports WHERE false;
SELECT 'social.report_json(social.reports, social.users, social.users)'::regprocedure;

ROLLBACK;

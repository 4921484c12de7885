-- Verify gosocial:schema/notifications on pg

BEGIN;

SELECT id, user_id, actor_id, type, post_id, comment_id, created_at, read
  FROM social.notifications WHERE false;
SELECT 'social.notify(bigint, bigint, text, bigint, bigint)'::regprocedure,
       'social.mentioned(text)'::regprocedure;

ROLLBACK;

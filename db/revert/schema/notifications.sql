-- Revert gosocial:schema/notifications from pg

BEGIN;

DROP FUNCTION social.notification_json(social.notifications, social.users, social.posts, social.comments);
DROP FUNCTION social.mentioned(text);
DROP FUNCTION social.notify(bigint, bigint, text, bigint, bigint);
DROP TABLE social.notifications;

COMMIT;

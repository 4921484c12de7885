-- Revert gosocial:schema/invitations from pg

BEGIN;

DROP TABLE social.invitations;

COMMIT;

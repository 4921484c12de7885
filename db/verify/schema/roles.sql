-- Verify gosocial:schema/roles on pg

BEGIN;

SELECT id, name, level, description FROM social.roles WHERE false;

SELECT 1 / (count(*) = 3)::int FROM social.roles
 WHERE (id, name, level) IN ((1, 'user', 1), (2, 'moderator', 2), (3, 'admin', 3));

ROLLBACK;

-- Verify gosocial:schema/feed_settings on pg

BEGIN;

SELECT timeline_size, fanout_limit, trim_every, fanout_inline_limit, serve_from_timeline
  FROM social.feed_settings WHERE false;
-- Its one row.
SELECT 1 / count(*) FROM social.feed_settings;

ROLLBACK;

-- Notifications: written in the act's transaction, undone with it; mentions with the contract's
-- edges; never one's own act, never from a muted user, never across a block.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(27);

CREATE FUNCTION pg_temp.uid(p_name text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.users WHERE username = p_name $$;
CREATE FUNCTION pg_temp.pid(p_title text) RETURNS bigint LANGUAGE sql STABLE AS
$$ SELECT id FROM social.posts WHERE title = p_title $$;
-- "type:actor" of a user's notifications, newest first
CREATE FUNCTION pg_temp.seen(p_user text, p_types text[] DEFAULT NULL) RETURNS text[] LANGUAGE sql AS $$
    SELECT coalesce(array_agg((e->>'type') || ':' || (e->'actor'->>'username') ORDER BY n), ARRAY[]::text[])
      FROM json_array_elements(api.list_notifications(pg_temp.uid(p_user), 50, p_types)) WITH ORDINALITY AS t(e, n)
$$;

INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('nt_ann', 'nt_ann@example.com', 'h', true),
       ('nt_Bob', 'nt_bob@example.com', 'h', true),
       ('nt_cat', 'nt_cat@example.com', 'h', true);

-- follow, unfollow
SELECT api.follow_user(pg_temp.uid('nt_Bob'), pg_temp.uid('nt_ann'));
SELECT is(pg_temp.seen('nt_ann'), ARRAY['follow:nt_Bob'], 'a follow notifies');
SELECT is((api.list_notifications(pg_temp.uid('nt_ann'), 50)->0->'post')::text, 'null', 'a follow names no post');
SELECT api.unfollow_user(pg_temp.uid('nt_Bob'), pg_temp.uid('nt_ann'));
SELECT is(pg_temp.seen('nt_ann'), ARRAY[]::text[], 'the unfollow removes it');

-- likes: liking, unliking and liking again leaves one
SELECT api.create_post(pg_temp.uid('nt_ann'), 'nt post', 'plain', NULL);
SELECT api.like_post(pg_temp.uid('nt_Bob'), pg_temp.pid('nt post'));
SELECT api.unlike_post(pg_temp.uid('nt_Bob'), pg_temp.pid('nt post'));
SELECT is(pg_temp.seen('nt_ann'), ARRAY[]::text[], 'an unlike removes the like''s notification');
SELECT api.like_post(pg_temp.uid('nt_Bob'), pg_temp.pid('nt post'));
SELECT api.like_post(pg_temp.uid('nt_Bob'), pg_temp.pid('nt post'));
SELECT is(pg_temp.seen('nt_ann'), ARRAY['like:nt_Bob'], 'like, unlike, like again: one notification');
SELECT api.like_post(pg_temp.uid('nt_ann'), pg_temp.pid('nt post'));
SELECT is(pg_temp.seen('nt_ann'), ARRAY['like:nt_Bob'], 'never for one''s own act');

-- comments and mentions
SELECT api.create_comment(pg_temp.pid('nt post'), pg_temp.uid('nt_Bob'), 'hi @nt_ann and @NT_CAT!');
SELECT is(pg_temp.seen('nt_ann'), ARRAY['comment:nt_Bob', 'like:nt_Bob'],
          'a comment that also mentions the post''s author is one notification (comment)');
SELECT is(pg_temp.seen('nt_cat'), ARRAY['mention:nt_Bob'], 'a mention, case-insensitive');
SELECT is((SELECT e->'comment'->>'content' FROM json_array_elements(api.list_notifications(pg_temp.uid('nt_cat'), 50)) e),
          'hi @nt_ann and @NT_CAT!', 'a mention in a comment names the comment');
SELECT is((SELECT (e->'post'->>'title') FROM json_array_elements(api.list_notifications(pg_temp.uid('nt_cat'), 50)) e),
          'nt post', '... and the commented post');
SELECT api.create_post(pg_temp.uid('nt_cat'), 'thanks @nt_bob.', 'mail a@nt_ann.com, or @nobody_here', NULL);
SELECT is(pg_temp.seen('nt_Bob'), ARRAY['mention:nt_cat'], '@name. at the end of a sentence is a mention');
SELECT is(pg_temp.seen('nt_ann'), ARRAY['comment:nt_Bob', 'like:nt_Bob'], 'a@name is no mention; an unknown name is text');
SELECT is((SELECT array_agg(m ORDER BY m) FROM social.mentioned('@a @b') m), NULL::bigint[], 'unknown names mention nobody');

-- first 10 distinct users, in text order
INSERT INTO social.users (username, email, password_hash, is_active)
SELECT 'nt_u' || g, 'nt_u' || g || '@example.com', 'h', true FROM generate_series(1, 12) g;
SELECT is((SELECT count(*)::int FROM social.mentioned(
              (SELECT string_agg('@nt_u' || g, ' ' ORDER BY g) FROM generate_series(1, 12) g) || ' @nt_u1')), 10,
          'at most 10 users per text');
SELECT is((SELECT array_agg(u.username ORDER BY u.username) FROM social.mentioned('@nt_u12 @nt_u3 @nt_u12') m JOIN social.users u ON u.id = m),
          ARRAY['nt_u12', 'nt_u3'], 'distinct');

-- an edit: a removed mention goes, an added one comes
SELECT api.update_post(pg_temp.pid('thanks @nt_bob.'), pg_temp.uid('nt_cat'), 1, 'thanks all', 'and @nt_ann', NULL);
SELECT is(pg_temp.seen('nt_Bob'), ARRAY[]::text[], 'an edit that removes a mention removes its notification');
SELECT is(pg_temp.seen('nt_ann', ARRAY['mention']), ARRAY['mention:nt_cat'], 'an edit that adds one notifies; types filter');

-- a mute hides, a block removes
SELECT api.mute_user(pg_temp.uid('nt_ann'), pg_temp.uid('nt_Bob'));
SELECT is(pg_temp.seen('nt_ann'), ARRAY['mention:nt_cat'], 'a muted actor''s notifications are hidden');
SELECT is(api.count_unread_notifications(pg_temp.uid('nt_ann')), 1::bigint, 'and not counted');
SELECT api.create_comment(pg_temp.pid('nt post'), pg_temp.uid('nt_Bob'), 'again');
SELECT is((SELECT count(*)::int FROM social.notifications WHERE user_id = pg_temp.uid('nt_ann') AND actor_id = pg_temp.uid('nt_Bob') AND type = 'comment'), 1,
          'a muted user''s new act notifies nothing');
SELECT api.unmute_user(pg_temp.uid('nt_ann'), pg_temp.uid('nt_Bob'));
SELECT api.block_user(pg_temp.uid('nt_Bob'), pg_temp.uid('nt_ann'));
SELECT is((SELECT count(*)::int FROM social.notifications
            WHERE (user_id, actor_id) IN ((pg_temp.uid('nt_ann'), pg_temp.uid('nt_Bob')), (pg_temp.uid('nt_Bob'), pg_temp.uid('nt_ann')))), 0,
          'a block removes the notifications between the two');
SELECT api.create_post(pg_temp.uid('nt_Bob'), 'nt across', '@nt_ann', NULL);
SELECT is(pg_temp.seen('nt_ann'), ARRAY['mention:nt_cat'], 'no mention across a block');

-- read, unread, deletes
SELECT is(api.count_unread_notifications(pg_temp.uid('nt_ann')), 1::bigint, 'one unread');
SELECT api.mark_notifications_read(pg_temp.uid('nt_ann'), (SELECT max(id) FROM social.notifications WHERE user_id = pg_temp.uid('nt_ann')));
SELECT is(api.count_unread_notifications(pg_temp.uid('nt_ann')), 0::bigint, 'read up to an id');
SELECT is((api.list_notifications(pg_temp.uid('nt_ann'), 50)->0->>'read')::boolean, true, 'shown as read');
SELECT api.delete_post(pg_temp.pid('thanks all'), pg_temp.uid('nt_cat'));
SELECT is(pg_temp.seen('nt_ann'), ARRAY[]::text[], 'deleting the post removes its notifications');
SELECT throws_ok(format('SELECT api.list_notifications(%s, 20, ARRAY[''poke''])', pg_temp.uid('nt_ann')),
                 'SN400', 'types must be among follow, like, comment and mention', 'an unknown type -> SN400');

SELECT * FROM finish();
ROLLBACK;

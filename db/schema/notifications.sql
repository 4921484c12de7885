-- Deploy gosocial:schema/notifications to pg
-- requires: schema/visibility
-- requires: schema/posts
-- requires: schema/comments
-- requires: schema/user_lists

BEGIN;

-- Notifications are rows written in the transaction of the act (a follow, a like, a comment, a
-- mention) and deleted with its undoing: an unfollow or unlike deletes its row, deleting a post
-- or comment cascades, and a block deletes those between the two users. So a notification
-- exists as soon as the act's answer is out, and is gone as soon as the undoing's is
-- (docs/api.md, Notifications), with no queue. The partial unique indexes make each act one
-- notification, however often it is repeated; ids grow with time (marking read "up to" an id).
CREATE TABLE social.notifications (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,  -- the recipient
    actor_id   bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    type       text        NOT NULL CHECK (type IN ('follow', 'like', 'comment', 'mention')),
    post_id    bigint      REFERENCES social.posts ON DELETE CASCADE,
    comment_id bigint      REFERENCES social.comments ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    read       boolean     NOT NULL DEFAULT false,
    CHECK ((type = 'follow') = (post_id IS NULL)),
    CHECK ((type = 'comment') <= (comment_id IS NOT NULL)),
    CHECK (user_id <> actor_id)
);
CREATE INDEX notifications_user_idx ON social.notifications (user_id, id);
CREATE INDEX notifications_unread_idx ON social.notifications (user_id) WHERE NOT read;
CREATE INDEX notifications_actor_idx ON social.notifications (actor_id, user_id);
CREATE UNIQUE INDEX notifications_follow_key ON social.notifications (user_id, actor_id)
    WHERE type = 'follow';
CREATE UNIQUE INDEX notifications_like_key ON social.notifications (post_id, actor_id)
    WHERE type = 'like';
CREATE UNIQUE INDEX notifications_comment_key ON social.notifications (comment_id)
    WHERE type = 'comment';
CREATE UNIQUE INDEX notifications_mention_key
    ON social.notifications (post_id, user_id, coalesce(comment_id, 0)) WHERE type = 'mention';

-- The one rule of who is notified of what: never of one's own act, never by a user one mutes,
-- never across a block.
CREATE OR REPLACE FUNCTION social.notify(p_user_id bigint, p_actor_id bigint, p_type text,
                                         p_post_id bigint, p_comment_id bigint)
RETURNS void
LANGUAGE sql AS $$
    INSERT INTO social.notifications (user_id, actor_id, type, post_id, comment_id)
    SELECT p_user_id, p_actor_id, p_type, p_post_id, p_comment_id
     WHERE p_user_id <> p_actor_id
       AND NOT social.muting(p_user_id, p_actor_id)
       AND NOT social.separated(p_user_id, p_actor_id)
    ON CONFLICT DO NOTHING
$$;
COMMENT ON FUNCTION social.notify(bigint, bigint, text, bigint, bigint) IS
    'Notifies p_user_id of p_actor_id''s act, unless it is its own, p_user_id mutes the actor or '
    'a block stands between them; an act already notified stays one notification.';

-- Mentions, parsed here and nowhere else: `@` at the start of the text or after a character
-- that cannot be in a username, then the longest run of username characters less any trailing
-- `.` (`thanks @bob.` names bob), compared without regard to case; an unknown name is text. The
-- first 10 distinct users in text order.
CREATE OR REPLACE FUNCTION social.mentioned(p_text text) RETURNS SETOF bigint
LANGUAGE sql STABLE AS $$
    SELECT u.id
      FROM regexp_matches(p_text, '(?:^|[^A-Za-z0-9_.-])@([A-Za-z0-9_.-]+)', 'g')
           WITH ORDINALITY AS m(g, n)
      JOIN social.users u ON lower(u.username) = lower(rtrim(m.g[1], '.'))
     GROUP BY u.id
     ORDER BY min(m.n)
     LIMIT 10
$$;
COMMENT ON FUNCTION social.mentioned(text) IS
    'The users p_text mentions (@username), the first 10 distinct in text order.';

CREATE OR REPLACE FUNCTION social.notification_json(n social.notifications, actor social.users,
                                                    p social.posts, c social.comments)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"id":%s,"type":%s,"created_at":%s,"read":%s,"actor":%s,"post":%s,"comment":%s}',
                  n.id, to_json(n.type), social.time_json(n.created_at), to_json(n.read),
                  social.user_ref_json(actor),
                  CASE WHEN p.id IS NULL THEN 'null'
                       ELSE format('{"id":%s,"title":%s}', p.id, to_json(p.title)) END,
                  CASE WHEN c.id IS NULL THEN 'null'
                       ELSE format('{"id":%s,"content":%s}', c.id, to_json(c.content)) END)::json
$$;
COMMENT ON FUNCTION social.notification_json(social.notifications, social.users, social.posts, social.comments) IS
    'The API''s notification: n with its actor, its post and its comment (NULL rows: null).';

COMMIT;

-- Deploy gosocial:schema/reports to pg
-- requires: schema/users
-- requires: schema/shapes

BEGIN;

-- A report names its target by type and id, without a foreign key: the target only has to exist
-- when it is reported, and the report outlives it (delete_content removes it). The target's user
-- (the reported user, or the content's author) is kept beside it, so that suspend_user still
-- finds the author once the content is gone, and the queue can leave out reports about the
-- moderator reading it.
CREATE TABLE social.reports (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reporter_id    bigint      NOT NULL REFERENCES social.users ON DELETE CASCADE,
    target_type    text        NOT NULL CHECK (target_type IN ('post', 'comment', 'user')),
    target_id      bigint      NOT NULL,
    target_user_id bigint      REFERENCES social.users ON DELETE SET NULL,
    reason         text        NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    status         text        NOT NULL DEFAULT 'open'
                               CHECK (status IN ('open', 'resolved', 'dismissed')),
    action         text        CHECK (action IN ('delete_content', 'suspend_user')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    closed_at      timestamptz,
    closed_by      bigint      REFERENCES social.users ON DELETE SET NULL,
    CONSTRAINT reports_closed_when_not_open CHECK ((status = 'open') = (closed_at IS NULL)),
    CONSTRAINT reports_action_resolves CHECK (action IS NULL OR status = 'resolved')
);

-- One open report per reporter and target (api.create_report answers SN409 on a second one).
CREATE UNIQUE INDEX reports_open_per_reporter_idx
    ON social.reports (reporter_id, target_type, target_id) WHERE status = 'open';
-- The queue's pages: open ones by creation, closed ones by closing time.
CREATE INDEX reports_open_created_idx ON social.reports (created_at, id) WHERE status = 'open';
CREATE INDEX reports_closed_idx ON social.reports (status, closed_at, id) WHERE status <> 'open';
-- For the cascades from users.
CREATE INDEX reports_reporter_idx ON social.reports (reporter_id);
CREATE INDEX reports_target_user_idx ON social.reports (target_user_id);
CREATE INDEX reports_closed_by_idx ON social.reports (closed_by);

-- The API's report object (as the shapes of schema/shapes: a template, inlined). The reporter
-- and the closer are the report's users; a closer gone (or none yet) is null.
CREATE OR REPLACE FUNCTION social.report_json(r social.reports, reporter social.users,
                                              closer social.users)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT format('{"id":%s,"reporter":{"id":%s,"username":%s},"target":{"type":%s,"id":%s},'
                  '"reason":%s,"status":%s,"action":%s,"created_at":%s,"closed_at":%s,'
                  '"closed_by":%s}',
                  r.id, reporter.id, to_json(reporter.username), to_json(r.target_type),
                  r.target_id, to_json(r.reason), to_json(r.status),
                  coalesce(to_json(r.action)::text, 'null'), social.time_json(r.created_at),
                  coalesce(social.time_json(r.closed_at), 'null'),
                  CASE WHEN closer.id IS NULL THEN 'null'
                       ELSE format('{"id":%s,"username":%s}', closer.id, to_json(closer.username))
                  END)::json
$$;
COMMENT ON FUNCTION social.report_json(social.reports, social.users, social.users) IS
    'The API''s report object: report r with its reporter and closer (NULL: "closed_by":null), '
    'compact.';

COMMIT;

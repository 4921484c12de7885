-- Deploy gosocial:functions/create_comment_once to pg
-- requires: schema/idempotency_keys
-- requires: functions/create_comment

BEGIN;

-- POST /v1/posts/{postID}/comments with an Idempotency-Key: the comment and its key in one
-- transaction.
CREATE OR REPLACE FUNCTION api.create_comment_once(
    p_post_id bigint, p_user_id bigint, p_key text, p_request_hash bytea, p_content text,
    OUT status integer, OUT body json, OUT replayed boolean)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    SELECT r.status, r.body INTO status, body
      FROM social.idempotent_replay(p_user_id, p_key, p_request_hash) r;
    replayed := status IS NOT NULL;
    IF replayed THEN
        RETURN;
    END IF;
    status := 201;
    body := api.create_comment(p_post_id, p_user_id, p_content);
    INSERT INTO idempotency_keys (user_id, key, request_hash, status, body)
    VALUES (p_user_id, p_key, p_request_hash, status, body);
END;
$$;

REVOKE ALL ON FUNCTION api.create_comment_once(bigint, bigint, text, bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_comment_once(bigint, bigint, text, bytea, text) TO gosocial_app;

COMMENT ON FUNCTION api.create_comment_once(bigint, bigint, text, bytea, text) IS
    'api.create_comment at most once per (p_user_id, p_key): the first call adds the comment and '
    'keeps its answer (status 201, body) with p_request_hash (which names the post too); a later '
    'call with the same hash within 24 hours returns that answer with replayed true and adds '
    'nothing. Raises SN404 when the post does not exist (nothing is kept: a retry tries again), '
    'SN409 while another transaction holds the key, SN422 when the key was used with another '
    'request hash, SN400 without a key or hash.';

COMMIT;

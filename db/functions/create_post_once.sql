-- Deploy gosocial:functions/create_post_once to pg
-- requires: schema/idempotency_keys
-- requires: functions/create_post

BEGIN;

-- POST /v1/posts with an Idempotency-Key: the post and its key in one transaction.
CREATE OR REPLACE FUNCTION api.create_post_once(
    p_user_id bigint, p_key text, p_request_hash bytea,
    p_title text, p_content text, p_tags text[],
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
    body := api.create_post(p_user_id, p_title, p_content, p_tags);
    INSERT INTO idempotency_keys (user_id, key, request_hash, status, body)
    VALUES (p_user_id, p_key, p_request_hash, status, body);
END;
$$;

REVOKE ALL ON FUNCTION api.create_post_once(bigint, text, bytea, text, text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.create_post_once(bigint, text, bytea, text, text, text[]) TO gosocial_app;

COMMENT ON FUNCTION api.create_post_once(bigint, text, bytea, text, text, text[]) IS
    'api.create_post at most once per (p_user_id, p_key): the first call creates the post and '
    'keeps its answer (status 201, body) with p_request_hash; a later call with the same hash '
    'within 24 hours returns that answer with replayed true and creates nothing. Raises SN409 '
    'while another transaction holds the key, SN422 when the key was used with another '
    'request hash, SN400 without a key or hash; 23514 as api.create_post.';

COMMIT;

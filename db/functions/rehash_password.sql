-- Deploy gosocial:functions/rehash_password to pg
-- requires: schema/users

BEGIN;

-- A hash made at a lower bcrypt cost than the service's is replaced at the next successful
-- login, the only moment the password is known. Compare-and-set: a password changed meanwhile
-- (its hash differs from the one checked) is never overwritten with the old password's hash.
CREATE OR REPLACE FUNCTION api.rehash_password(p_user_id bigint, p_old_hash text, p_new_hash text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    IF p_new_hash IS NULL OR p_new_hash = '' THEN
        RAISE EXCEPTION 'a new hash is required' USING ERRCODE = 'SN400';
    END IF;
    UPDATE users SET password_hash = p_new_hash
     WHERE id = p_user_id AND password_hash = p_old_hash;
    RETURN FOUND;
END;
$$;

REVOKE ALL ON FUNCTION api.rehash_password(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION api.rehash_password(bigint, text, text) TO gosocial_app;

COMMENT ON FUNCTION api.rehash_password(bigint, text, text) IS
    'Replaces the user''s password hash with p_new_hash (the same password at a higher cost) '
    'only if it is still p_old_hash; returns whether it did (false: unknown user, or the hash '
    'changed meanwhile). Raises SN400 without a new hash.';

COMMIT;

-- Deploy gosocial:schema/permissions to pg
-- requires: schema/roles
-- requires: schema/users
-- requires: schema/posts

BEGIN;

-- Who may do what, in one place. Rules name roles ('moderator', 'admin'), never levels: the
-- level of a role is read from social.roles, so a new role slots in by its level alone.

CREATE FUNCTION social.has_role(p_user_id bigint, p_role text) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = social, pg_catalog, pg_temp
AS $$
DECLARE
    v_required integer := (SELECT r.level FROM roles r WHERE r.name = p_role);
BEGIN
    IF v_required IS NULL THEN
        -- A rule naming a role that does not exist is a bug, not a denial.
        RAISE EXCEPTION 'unknown role %', p_role;
    END IF;
    RETURN coalesce((SELECT r.level >= v_required
                       FROM users u
                       JOIN roles r ON r.id = u.role_id
                      WHERE u.id = p_user_id), false);
END;
$$;
COMMENT ON FUNCTION social.has_role(bigint, text) IS
    'True when the user''s role level is at least that of the named role (false for an unknown '
    'user); raises P0001 for a role name that does not exist.';

CREATE FUNCTION social.authorize_post(p_post_id bigint, p_actor_id bigint, p_role text,
                                      p_verb text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = social, pg_catalog, pg_temp
AS $$
BEGIN
    -- The post rule of the API: the owner, or a role of at least p_role. Missing post first,
    -- so a 403 never confirms what a 404 would hide.
    IF NOT EXISTS (SELECT FROM posts p WHERE p.id = p_post_id) THEN
        RAISE EXCEPTION 'post not found' USING ERRCODE = 'SN404';
    END IF;
    IF NOT EXISTS (SELECT FROM posts p WHERE p.id = p_post_id AND p.user_id = p_actor_id)
       AND NOT social.has_role(p_actor_id, p_role) THEN
        RAISE EXCEPTION 'you may not % this post', p_verb USING ERRCODE = 'SN403';
    END IF;
END;
$$;
COMMENT ON FUNCTION social.authorize_post(bigint, bigint, text, text) IS
    'Raises SN404 when the post does not exist, SN403 ("you may not <verb> this post") unless '
    'the actor owns it or has at least the named role.';

COMMIT;

"""Who is calling: the bearer token's active user, or the ops routes' Basic credentials.

Routes declare which with `doc(..., auth=...)` (api/docs.py), which calls these.

Who may do what to which resource is decided in SQL (db/schema/permissions.sql), not here.
"""

from __future__ import annotations

import asyncpg

from api import replicas
from api.context import ApiRequest, CurrentUser
from api.errors import ApiError
from api.security import basic_auth_ok


async def current_user(request: ApiRequest, also: int | None = None) -> CurrentUser:
    """The active user behind the bearer token (through the user cache), else `401`.

    `also`: another user id whose cached entry is read in the same Redis round trip and left
    in `request.ctx.also_raw` (None on a miss), for routes that read a second profile.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    ctx = request.app.ctx
    user_id = ctx.tokens.verify(token.strip(), "access") if scheme.lower() == "bearer" else None
    if user_id is None:
        raise _unauthenticated()
    ids = (user_id,) if also is None or also == user_id else (user_id, also)
    writer = user_id if ctx.reads.replica is not None else None
    cached, positions = await ctx.cache.peek_with_position(writer, *ids)
    replicas.caller.set(user_id)
    replicas.positions.set(positions)
    request.ctx.also_raw = cached[1] if len(cached) > 1 else None
    try:
        raw = cached[0] or await ctx.cache.fill(user_id, ctx.users.get_user)
    except asyncpg.PostgresError as exc:
        if exc.sqlstate != "SN404":
            raise
        raise _unauthenticated() from None
    user = CurrentUser.parse(raw)
    if not user.is_active:
        raise _unauthenticated()
    request.ctx.user = user
    return user


def _unauthenticated() -> ApiError:
    return ApiError(401, "missing or invalid access token", headers={"WWW-Authenticate": "Bearer"})


def require_basic(request: ApiRequest) -> None:
    """HTTP Basic credentials of the ops routes, else `401`."""
    settings = request.app.ctx.settings
    header = request.headers.get("authorization")
    if not basic_auth_ok(header, settings.basic_auth_username, settings.basic_auth_password):
        raise ApiError(
            401, "invalid credentials", headers={"WWW-Authenticate": 'Basic realm="ops"'}
        )

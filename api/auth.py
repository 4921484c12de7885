"""Who is calling: the bearer token's active user, or the ops routes' Basic credentials.

Routes declare which with `doc(..., auth=...)` (api/docs.py), which calls these.

Who may do what to which resource is decided in SQL (db/schema/permissions.sql), not here.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg

from api import replicas
from api.context import ApiRequest, Context, CurrentUser
from api.errors import ApiError
from api.security import TokenPair, basic_auth_ok, token_hash


async def current_user(request: ApiRequest, also: int | None = None) -> CurrentUser:
    """The active user behind the bearer token (through the user cache), else `401`; also
    when the token's epoch is not the user's (a password reset or change since it was issued).

    `also`: another user id whose cached entry is read in the same Redis round trip and left
    in `request.ctx.also_raw` (None on a miss), for routes that read a second profile.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    ctx = request.app.ctx
    bearer = ctx.tokens.verify(token.strip(), "access") if scheme.lower() == "bearer" else None
    if bearer is None:
        raise _unauthenticated()
    user_id = bearer.user_id
    ids = (user_id,) if also is None or also == user_id else (user_id, also)
    writer = user_id if ctx.reads.replica is not None else None
    cached, positions = await ctx.cache.peek_with_position(writer, *ids)
    replicas.caller.set(user_id)
    replicas.positions.set(positions)
    also_cached = cached[1] if len(cached) > 1 else None
    request.ctx.also_raw = also_cached.raw if also_cached else None
    try:
        entry = cached[0] or await ctx.cache.fill(user_id, ctx.users.get_session_user)
    except asyncpg.PostgresError as exc:
        if exc.sqlstate != "SN404":
            raise
        raise _unauthenticated() from None
    user = CurrentUser.parse(entry.raw)
    if not user.is_active or entry.epoch != bearer.epoch:
        raise _unauthenticated()
    request.ctx.user = user
    return user


async def session_epoch(ctx: Context, user_id: int) -> int:
    """The user's token epoch, through the user cache (warming it for the next request);
    `401` when the user is gone."""
    try:
        return (await ctx.cache.get(user_id, ctx.users.get_session_user)).epoch
    except asyncpg.PostgresError as exc:
        if exc.sqlstate != "SN404":
            raise
        raise ApiError(401, "invalid credentials") from None


async def new_login(ctx: Context, user_id: int, epoch: int) -> TokenPair:
    """A token pair of a new login (its own refresh token family) in token epoch `epoch`."""
    pair = ctx.tokens.pair(user_id, epoch)
    await ctx.refresh_tokens.issue_refresh_token(
        user_id=user_id,
        token_hash=token_hash(pair.refresh_token),
        family_id=uuid.uuid4(),
        ttl=timedelta(seconds=ctx.tokens.refresh_ttl),
    )
    return pair


async def check_password(ctx: Context, user: CurrentUser, password: str) -> str:
    """The caller's stored password hash if `password` is its password, else `403`."""
    row = await ctx.users.get_login(user.email)
    stored = row["password_hash"] if row and row["user_id"] == user.id else None
    if not await ctx.passwords.check(password, stored):
        raise ApiError(403, "the password is wrong")
    assert stored is not None  # a password never checks out against no hash
    return stored


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

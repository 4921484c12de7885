"""Who is calling: the bearer token's active user, or the ops routes' Basic credentials.

Routes declare which with `@endpoint(..., auth=...)` (api/endpoint.py), which calls these.

Who may do what to which resource is decided in SQL (db/schema/permissions.sql), not here.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg

from api import metrics
from api.context import ApiRequest, Context, CurrentUser
from api.errors import ApiError
from api.security import TokenPair, basic_auth_ok, credentials, token_hash


async def current_user(request: ApiRequest, also: int | None = None) -> CurrentUser:
    """The active user behind the bearer token (through the user cache), else `401`; also
    when the token's epoch is not the user's (a password reset or change since it was issued).

    `also`: another user id whose cached entry is read in the same Redis round trip and left
    in `request.ctx.also_raw` (None on a miss), for routes that read a second profile.
    """
    token = credentials(request.headers.get("authorization"), "bearer")
    ctx = request.app.ctx
    bearer = ctx.tokens.verify(token, "access") if token else None
    if bearer is None:
        raise _unauthenticated()
    user_id = bearer.user_id
    ids = (user_id,) if also is None or also == user_id else (user_id, also)
    cached = await ctx.reads.peek_users(user_id, *ids)  # and what its reads must find
    also_cached = cached[1] if len(cached) > 1 else None
    request.ctx.also_raw = also_cached.raw if also_cached else None
    try:
        entry = cached[0] or await ctx.cache.fill(user_id, ctx.db.session_user)
    except asyncpg.PostgresError as exc:
        if exc.sqlstate != "SN404":
            raise
        raise _unauthenticated() from None
    user = CurrentUser.parse(entry.raw, entry.separated)
    if not user.is_active or entry.epoch != bearer.epoch:
        raise _unauthenticated()
    request.ctx.user = user
    return user


async def session_epoch(ctx: Context, user_id: int) -> int:
    """The user's token epoch, through the user cache (warming it for the next request);
    `401` when the user is gone."""
    try:
        return (await ctx.cache.get(user_id, ctx.db.session_user)).epoch
    except asyncpg.PostgresError as exc:
        if exc.sqlstate != "SN404":
            raise
        raise ApiError(401, "invalid credentials") from None


async def new_login(ctx: Context, user_id: int, epoch: int) -> TokenPair:
    """A token pair of a new login (its own refresh token family) in token epoch `epoch`."""
    pair = ctx.tokens.pair(user_id, epoch)
    await ctx.db.value(
        "issue_refresh_token",
        user_id=user_id,
        token_hash=token_hash(pair.refresh_token),
        family_id=uuid.uuid4(),
        ttl=timedelta(seconds=ctx.tokens.refresh_ttl),
    )
    return pair


async def verified_login(ctx: Context, email: str, password: str) -> asyncpg.Record | None:
    """The login row of `email` if `password` is its password, else None; `429` while throttled.

    Throttling per account (docs/api.md, login throttling) is kept in PostgreSQL, not Redis: a
    password check reads PostgreSQL anyway, so the count is up exactly when logins are, shared
    by every worker and instance, with no fail-open gap while Redis is down (the rate limiter's
    fallback, a count per process, would multiply LOGIN_MAX_FAILURES by the number of
    processes), for one more round trip beside a bcrypt of ~250 ms. The attempt is counted
    before the password is checked, so concurrent guesses cannot all get past the limit; the
    right password clears the count. A throttled email is answered without a bcrypt, the same
    for known and unknown emails; an unknown email is otherwise checked against a dummy hash,
    so it takes as long. Every password check counts (login, and the current password of a
    change or a deletion), so a stolen access token gives no more guesses than the login form.
    """
    settings = ctx.settings
    wait = await ctx.db.value(
        "login_attempt",
        email=email,
        max_failures=settings.login_max_failures,
        window=timedelta(seconds=settings.login_throttle_window),
    )
    check_throttle(wait, "too many failed logins for this account; try again later")
    row = await ctx.db.row("get_login", email=email)
    if not await ctx.passwords.check(password, row["password_hash"] if row else None):
        return None
    await ctx.db.value("login_succeeded", email=email)
    return row


def check_throttle(wait: int, refusal: str) -> None:
    """`429` with `Retry-After` and `refusal` when api.login_attempt (or a call counting an
    attempt like it) answered a wait."""
    if wait:
        metrics.LOGIN_THROTTLED.inc()
        raise ApiError(429, refusal, headers={"Retry-After": str(wait)})


async def check_password(ctx: Context, user: CurrentUser, password: str) -> str:
    """The caller's stored password hash if `password` is its password, else `403`."""
    row = await verified_login(ctx, user.email, password)
    if row is None or row["user_id"] != user.id:
        raise ApiError(403, "the password is wrong")
    return str(row["password_hash"])


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

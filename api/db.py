"""The asyncpg pool and one small class per resource, one method per `api.*` function.

Functions return JSON already shaped like the API's objects: methods hand the raw text on, so
a response is `{"data": <text>}` without decoding and re-encoding it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from api.cache import CachedUser
from api.replicas import Reads, caller
from api.settings import Settings

# Keeps a caller's WAL position after its write (api.cache.UserCache.keep_position).
PositionKeeper = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Once:
    """What a keyed creation answers: the first answer's status and body, and whether this is
    a replay of it."""

    status: int
    body: str
    replayed: bool


class Pool:
    """asyncpg's pool, plus the count of callers waiting for a connection (asyncpg hides it).

    `waiting` counts the callers inside `acquire` (for an idle connection, or for a new one
    being opened); acquisition gives up after DB_QUERY_TIMEOUT, so a dead or saturated database
    is a prompt 503, never a hang.
    """

    def __init__(self, pool: asyncpg.Pool, acquire_timeout: float) -> None:
        self.raw = pool
        self.waiting = 0
        self._timeout = acquire_timeout
        # Set when reads go to replicas: each write then keeps its caller's position.
        self.keep_position: PositionKeeper | None = None

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        self.waiting += 1
        try:
            conn = await self.raw.acquire(timeout=self._timeout)
        finally:
            self.waiting -= 1
        try:
            yield conn
        finally:
            await self.raw.release(conn)

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self.acquire() as conn:
            return await conn.fetchval(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        async with self.acquire() as conn:
            return await conn.fetchrow(query, *args)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.acquire() as conn:
            return await conn.fetch(query, *args)

    async def execute(self, query: str, *args: Any) -> str:
        async with self.acquire() as conn:
            return await conn.execute(query, *args)

    async def write(self, query: str, *args: Any) -> Any:
        """A call that writes for the caller; with replicas, the primary's WAL position after
        its commit is kept, so the caller's next reads wait for a replica to have it."""
        async with self.acquire() as conn:
            result = await conn.fetchval(query, *args)
            await self._keep_position(conn)
        return result

    async def write_once(self, query: str, *args: Any) -> Once:
        """A creation under an Idempotency-Key (api.*_once). A replay wrote nothing: the
        position its row needs was kept by the request that created it, so none is kept."""
        async with self.acquire() as conn:
            row = await conn.fetchrow(query, *args)
            once = Once(row["status"], row["body"], row["replayed"])
            if not once.replayed:
                await self._keep_position(conn)
        return once

    async def _keep_position(self, conn: asyncpg.Connection) -> None:
        user_id = caller.get()
        if self.keep_position is not None and user_id is not None:
            await self.keep_position(user_id, await conn.fetchval(_POSITION))

    def figures(self) -> dict[str, int]:
        size, idle = self.raw.get_size(), self.raw.get_idle_size()
        return {
            "size": size,
            "idle": idle,
            "in_use": size - idle,
            "min": self.raw.get_min_size(),
            "max": self.raw.get_max_size(),
            "waiting": self.waiting,
        }

    async def close(self, grace: float = 5.0) -> None:
        """Close gracefully; connections still busy after `grace` seconds are cut."""
        try:
            async with asyncio.timeout(grace):
                await self.raw.close()
        except TimeoutError:
            self.raw.terminate()


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset on release. Each call is one statement that leaves no session state (no
    SET, LISTEN, cursor or session lock), so asyncpg's default reset, a round trip after every
    query (measured: ~14% of a worker's time under load), has nothing to undo. asyncpg still
    rolls back a transaction left open before calling this."""


async def create_pool(
    settings: Settings, url: str | None = None, min_size: int | None = None
) -> Pool:
    """The primary's pool (DATABASE_URL), or with `url` another server's (the replicas').

    Through PgBouncer in transaction mode (DB_PGBOUNCER) consecutive transactions may run on
    different server connections, so no statement is kept prepared (asyncpg then uses unnamed
    ones), and statement_timeout, which PgBouncer refuses as a startup parameter, must be set on
    the role instead (`ALTER ROLE gosocial SET statement_timeout = '5s'`)."""
    pool = await asyncpg.create_pool(
        url or settings.database_url,
        min_size=settings.db_pool_min if min_size is None else min_size,
        max_size=settings.db_pool_max,
        reset=_keep_session,
        **_connection_options(settings),
    )
    return Pool(pool, acquire_timeout=settings.db_query_timeout)


async def connect(settings: Settings) -> asyncpg.Connection:
    """A connection of its own to the primary, outside the pool (background work)."""
    return await asyncpg.connect(settings.database_url, **_connection_options(settings))


def longest_call(settings: Settings) -> float:
    """The longest a pooled call can take: waiting for a connection, then its query."""
    return settings.db_query_timeout + _command_timeout(settings)


def _command_timeout(settings: Settings) -> float:
    # Client-side deadline; the server-side statement_timeout cancels the query itself so its
    # connection comes back in good state.
    return settings.db_query_timeout + 1


def _connection_options(settings: Settings) -> dict[str, Any]:
    timeout = settings.db_query_timeout
    server_settings = {"application_name": "gosocial", "timezone": "UTC"}
    if not settings.db_pgbouncer:
        server_settings["statement_timeout"] = str(int(timeout * 1000))
    return {
        "timeout": timeout,  # connecting
        "command_timeout": _command_timeout(settings),
        "server_settings": server_settings,
        "statement_cache_size": 0 if settings.db_pgbouncer else 100,
    }


async def fan_out_queued(conn: asyncpg.Connection, limit: int) -> int:
    return await conn.fetchval(_FAN_OUT_QUEUED, limit)


def _call(function: str, *params: str, rows: bool = False) -> str:
    """`SELECT api.f(p_a => $1, p_b => $2)`: named notation, so a renamed or reordered SQL
    parameter fails loudly instead of binding a value to the wrong parameter. `rows`: the
    function returns a table (`SELECT * FROM api.f(...)`)."""
    args = ", ".join(f"{name} => ${n}" for n, name in enumerate(params, 1))
    return f"SELECT {'* FROM ' if rows else ''}api.{function}({args})"


class Users:
    def __init__(self, pool: Pool, reads: Reads) -> None:
        self._pool, self._reads = pool, reads

    async def register_user(
        self,
        *,
        username: str,
        email: str,
        password_hash: str,
        token_hash: bytes,
        invitation_ttl: timedelta,
    ) -> str:
        return await self._pool.fetchval(
            _REGISTER_USER, username, email, password_hash, token_hash, invitation_ttl
        )

    async def delete_user(self, user_id: int) -> None:
        await self._pool.execute(_DELETE_USER, user_id)

    async def activate_user(self, token_hash: bytes) -> int:
        return await self._pool.fetchval(_ACTIVATE_USER, token_hash)

    async def get_session_user(self, user_id: int) -> CachedUser:
        """The user and its token epoch, as the user cache keeps them."""
        row = await self._pool.fetchrow(_GET_SESSION_USER, user_id)
        assert row is not None  # the function raises SN404 instead of answering no row
        return CachedUser(row["user_json"].encode(), row["token_epoch"])

    async def get_login(self, email: str) -> asyncpg.Record | None:
        return await self._pool.fetchrow(_GET_LOGIN, email)

    async def request_password_reset(
        self, *, email: str, token_hash: bytes, ttl: timedelta
    ) -> asyncpg.Record | None:
        """(username, email, expires_at) to mail for an active account, else None."""
        return await self._pool.fetchrow(_REQUEST_PASSWORD_RESET, email, token_hash, ttl)

    async def reset_password(self, *, token_hash: bytes, password_hash: str) -> int:
        return await self._pool.fetchval(_RESET_PASSWORD, token_hash, password_hash)

    async def change_password(self, *, user_id: int, current_hash: str, password_hash: str) -> int:
        """The user's new token epoch."""
        return await self._pool.fetchval(_CHANGE_PASSWORD, user_id, current_hash, password_hash)

    async def login_attempt(self, *, email: str, max_failures: int, window: timedelta) -> int:
        """0: the attempt may go on; else the seconds until the email's window passes."""
        return await self._pool.fetchval(_LOGIN_ATTEMPT, email, max_failures, window)

    async def login_succeeded(self, email: str) -> None:
        await self._pool.execute(_LOGIN_SUCCEEDED, email)

    async def purge_login_failures(self) -> int:
        return await self._pool.fetchval(_PURGE_LOGIN_FAILURES)

    async def rehash_password(self, *, user_id: int, old_hash: str, new_hash: str) -> bool:
        return await self._pool.fetchval(_REHASH_PASSWORD, user_id, old_hash, new_hash)

    async def set_user_role(self, *, user_id: int, role: str, actor_id: int) -> str:
        return await self._pool.fetchval(_SET_USER_ROLE, user_id, role, actor_id)

    async def follow_user(self, *, follower_id: int, user_id: int) -> None:
        await self._pool.write(_FOLLOW_USER, follower_id, user_id)

    async def unfollow_user(self, *, follower_id: int, user_id: int) -> None:
        await self._pool.write(_UNFOLLOW_USER, follower_id, user_id)

    async def user_feed(
        self,
        *,
        user_id: int,
        limit: int,
        offset: int,
        sort: str,
        tags: list[str] | None,
        search: str | None,
        since: datetime | None,
        until: datetime | None,
        after: tuple[datetime, int] | None = None,
    ) -> str:
        after_created_at, after_id = after or (None, None)
        return await self._reads.fetchval(
            _USER_FEED,
            user_id,
            limit,
            offset,
            sort,
            tags,
            search,
            since,
            until,
            after_created_at,
            after_id,
            current=True,  # API.md: a post is in every follower's feed once its 201 is answered
        )

    async def purge_expired_invitations(self) -> int:
        return await self._pool.fetchval(_PURGE_EXPIRED_INVITATIONS)


class Posts:
    def __init__(self, pool: Pool, reads: Reads) -> None:
        self._pool, self._reads = pool, reads

    async def create_post(self, *, user_id: int, title: str, content: str, tags: list[str]) -> str:
        return await self._pool.write(_CREATE_POST, user_id, title, content, tags)

    async def create_post_once(
        self,
        *,
        user_id: int,
        key: str,
        request_hash: bytes,
        title: str,
        content: str,
        tags: list[str],
    ) -> Once:
        return await self._pool.write_once(
            _CREATE_POST_ONCE, user_id, key, request_hash, title, content, tags
        )

    async def get_post(self, post_id: int) -> str:
        return await self._reads.fetchval(_GET_POST, post_id)

    async def update_post(
        self,
        *,
        post_id: int,
        actor_id: int,
        version: int,
        title: str | None,
        content: str | None,
        tags: list[str] | None,
    ) -> str:
        return await self._pool.write(
            _UPDATE_POST, post_id, actor_id, version, title, content, tags
        )

    async def delete_post(self, *, post_id: int, actor_id: int) -> None:
        await self._pool.write(_DELETE_POST, post_id, actor_id)

    async def create_comment(self, *, post_id: int, user_id: int, content: str) -> str:
        return await self._pool.write(_CREATE_COMMENT, post_id, user_id, content)

    async def create_comment_once(
        self, *, post_id: int, user_id: int, key: str, request_hash: bytes, content: str
    ) -> Once:
        return await self._pool.write_once(
            _CREATE_COMMENT_ONCE, post_id, user_id, key, request_hash, content
        )

    async def purge_idempotency_keys(self) -> int:
        return await self._pool.fetchval(_PURGE_IDEMPOTENCY_KEYS)

    async def list_comments(
        self, *, post_id: int, limit: int, offset: int, after: tuple[datetime, int] | None = None
    ) -> str:
        after_created_at, after_id = after or (None, None)
        return await self._reads.fetchval(
            _LIST_COMMENTS, post_id, limit, offset, after_created_at, after_id
        )


class RefreshTokens:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def issue_refresh_token(
        self, *, user_id: int, token_hash: bytes, family_id: UUID, ttl: timedelta
    ) -> None:
        await self._pool.execute(_ISSUE_REFRESH_TOKEN, user_id, token_hash, family_id, ttl)

    async def rotate_refresh_token(
        self, *, old_hash: bytes, new_hash: bytes, ttl: timedelta
    ) -> int | None:
        """The user id, or None when the old token is unknown, expired, revoked or reused."""
        return await self._pool.fetchval(_ROTATE_REFRESH_TOKEN, old_hash, new_hash, ttl)

    async def revoke_refresh_family(self, *, token_hash: bytes, user_id: int) -> bool:
        return await self._pool.fetchval(_REVOKE_REFRESH_FAMILY, token_hash, user_id)


# The insert position: past this transaction's commit record even when commits are asynchronous
# (pg_current_wal_lsn, the write position, may not have reached it yet).
_POSITION = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"
_REGISTER_USER = _call(
    "register_user",
    "p_username",
    "p_email",
    "p_password_hash",
    "p_token_hash",
    "p_invitation_ttl",
)
_DELETE_USER = _call("delete_user", "p_user_id")
_ACTIVATE_USER = _call("activate_user", "p_token_hash")
_GET_SESSION_USER = _call("get_session_user", "p_user_id", rows=True)
_REQUEST_PASSWORD_RESET = _call(
    "request_password_reset", "p_email", "p_token_hash", "p_ttl", rows=True
)
_RESET_PASSWORD = _call("reset_password", "p_token_hash", "p_password_hash")
_CHANGE_PASSWORD = _call("change_password", "p_user_id", "p_current_hash", "p_password_hash")
_GET_LOGIN = _call("get_login", "p_email", rows=True)
_LOGIN_ATTEMPT = _call("login_attempt", "p_email", "p_max_failures", "p_window")
_LOGIN_SUCCEEDED = _call("login_succeeded", "p_email")
_PURGE_LOGIN_FAILURES = _call("purge_login_failures")
_REHASH_PASSWORD = _call("rehash_password", "p_user_id", "p_old_hash", "p_new_hash")
_SET_USER_ROLE = _call("set_user_role", "p_user_id", "p_role", "p_actor_id")
_FOLLOW_USER = _call("follow_user", "p_follower_id", "p_user_id")
_UNFOLLOW_USER = _call("unfollow_user", "p_follower_id", "p_user_id")
_USER_FEED = _call(
    "user_feed",
    "p_user_id",
    "p_limit",
    "p_offset",
    "p_sort",
    "p_tags",
    "p_search",
    "p_since",
    "p_until",
    "p_after_created_at",
    "p_after_id",
)
_PURGE_EXPIRED_INVITATIONS = _call("purge_expired_invitations")
_FAN_OUT_QUEUED = _call("fan_out_queued", "p_limit")
_CREATE_POST = _call("create_post", "p_user_id", "p_title", "p_content", "p_tags")
_CREATE_POST_ONCE = _call(
    "create_post_once",
    "p_user_id",
    "p_key",
    "p_request_hash",
    "p_title",
    "p_content",
    "p_tags",
    rows=True,
)
_GET_POST = _call("get_post", "p_post_id")
_UPDATE_POST = _call(
    "update_post", "p_post_id", "p_actor_id", "p_version", "p_title", "p_content", "p_tags"
)
_DELETE_POST = _call("delete_post", "p_post_id", "p_actor_id")
_CREATE_COMMENT = _call("create_comment", "p_post_id", "p_user_id", "p_content")
_CREATE_COMMENT_ONCE = _call(
    "create_comment_once",
    "p_post_id",
    "p_user_id",
    "p_key",
    "p_request_hash",
    "p_content",
    rows=True,
)
_PURGE_IDEMPOTENCY_KEYS = _call("purge_idempotency_keys")
_LIST_COMMENTS = _call(
    "list_comments", "p_post_id", "p_limit", "p_offset", "p_after_created_at", "p_after_id"
)
_ISSUE_REFRESH_TOKEN = _call(
    "issue_refresh_token", "p_user_id", "p_token_hash", "p_family_id", "p_ttl"
)
_ROTATE_REFRESH_TOKEN = _call("rotate_refresh_token", "p_old_hash", "p_new_hash", "p_ttl")
_REVOKE_REFRESH_FAMILY = _call("revoke_refresh_family", "p_token_hash", "p_user_id")

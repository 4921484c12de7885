"""The asyncpg pool and one small class per resource, one method per `api.*` function.

Functions return JSON already shaped like the API's objects: methods hand the raw text on, so
a response is `{"data": <text>}` without decoding and re-encoding it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from api.settings import Settings


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


async def create_pool(settings: Settings) -> Pool:
    timeout = settings.db_query_timeout
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        timeout=timeout,  # connecting
        reset=_keep_session,
        # Client-side deadline; the server-side statement_timeout below cancels the query itself
        # so its connection comes back to the pool in good state.
        command_timeout=timeout + 1,
        server_settings={
            "application_name": "gosocial",
            "timezone": "UTC",
            "statement_timeout": str(int(timeout * 1000)),
        },
    )
    return Pool(pool, acquire_timeout=timeout)


class Users:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def register(
        self,
        *,
        username: str,
        email: str,
        password_hash: str,
        token_hash: bytes,
        invitation_ttl: timedelta,
    ) -> str:
        return await self._pool.fetchval(
            "SELECT api.register_user($1, $2, $3, $4, $5)",
            username,
            email,
            password_hash,
            token_hash,
            invitation_ttl,
        )

    async def delete(self, user_id: int) -> None:
        await self._pool.execute("SELECT api.delete_user($1)", user_id)

    async def activate(self, token_hash: bytes) -> int:
        return await self._pool.fetchval("SELECT api.activate_user($1)", token_hash)

    async def get(self, user_id: int) -> str:
        return await self._pool.fetchval("SELECT api.get_user($1)", user_id)

    async def login(self, email: str) -> asyncpg.Record | None:
        return await self._pool.fetchrow("SELECT * FROM api.get_login($1)", email)

    async def set_role(self, user_id: int, role: str, *, actor_id: int) -> str:
        return await self._pool.fetchval(
            "SELECT api.set_user_role($1, $2, $3)", user_id, role, actor_id
        )

    async def follow(self, follower_id: int, user_id: int) -> None:
        await self._pool.execute("SELECT api.follow_user($1, $2)", follower_id, user_id)

    async def unfollow(self, follower_id: int, user_id: int) -> None:
        await self._pool.execute("SELECT api.unfollow_user($1, $2)", follower_id, user_id)

    async def feed(
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
    ) -> str:
        return await self._pool.fetchval(
            "SELECT api.user_feed($1, $2, $3, $4, $5, $6, $7, $8)",
            user_id,
            limit,
            offset,
            sort,
            tags,
            search,
            since,
            until,
        )

    async def purge_expired(self) -> int:
        return await self._pool.fetchval("SELECT api.purge_expired_invitations()")


class Posts:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def create(self, *, user_id: int, title: str, content: str, tags: list[str]) -> str:
        return await self._pool.fetchval(
            "SELECT api.create_post($1, $2, $3, $4)", user_id, title, content, tags
        )

    async def get(self, post_id: int) -> str:
        return await self._pool.fetchval("SELECT api.get_post($1)", post_id)

    async def update(
        self,
        *,
        post_id: int,
        actor_id: int,
        version: int,
        title: str | None,
        content: str | None,
        tags: list[str] | None,
    ) -> str:
        return await self._pool.fetchval(
            "SELECT api.update_post($1, $2, $3, $4, $5, $6)",
            post_id,
            actor_id,
            version,
            title,
            content,
            tags,
        )

    async def delete(self, *, post_id: int, actor_id: int) -> None:
        await self._pool.execute("SELECT api.delete_post($1, $2)", post_id, actor_id)

    async def comment(self, *, post_id: int, user_id: int, content: str) -> str:
        return await self._pool.fetchval(
            "SELECT api.create_comment($1, $2, $3)", post_id, user_id, content
        )

    async def comments(self, *, post_id: int, limit: int, offset: int) -> str:
        return await self._pool.fetchval(
            "SELECT api.list_comments($1, $2, $3)", post_id, limit, offset
        )


class RefreshTokens:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def issue(
        self, *, user_id: int, token_hash: bytes, family_id: UUID, ttl: timedelta
    ) -> None:
        await self._pool.execute(
            "SELECT api.issue_refresh_token($1, $2, $3, $4)", user_id, token_hash, family_id, ttl
        )

    async def rotate(self, *, old_hash: bytes, new_hash: bytes, ttl: timedelta) -> int | None:
        """The user id, or None when the old token is unknown, expired, revoked or reused."""
        return await self._pool.fetchval(
            "SELECT api.rotate_refresh_token($1, $2, $3)", old_hash, new_hash, ttl
        )

    async def revoke_family(self, *, token_hash: bytes, user_id: int) -> bool:
        return await self._pool.fetchval(
            "SELECT api.revoke_refresh_family($1, $2)", token_hash, user_id
        )

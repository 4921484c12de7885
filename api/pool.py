"""The asyncpg pool: its connection options, its timeouts, and its figures for the metrics."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from api import metrics
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

    def record_figures(self) -> None:
        """Copy the figures into the pool's gauges (a scrape does, and `keep_figures`)."""
        figures = self.figures()
        metrics.DB_POOL_CONNECTIONS.labels("idle").set(figures["idle"])
        metrics.DB_POOL_CONNECTIONS.labels("in_use").set(figures["in_use"])
        metrics.DB_POOL_WAITING.set(figures["waiting"])

    async def keep_figures(self, interval: float = 1.0) -> None:
        """`record_figures` every `interval` seconds, until cancelled."""
        while True:
            self.record_figures()
            await asyncio.sleep(interval)

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

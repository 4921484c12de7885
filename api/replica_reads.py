"""Reads on replicas, each caller reading its own writes: the whole rule lives here.

- Where a call goes. With DATABASE_READ_URL set, the read-only calls that carry the load (the
  feed, a post, a post's comments: `read`) go to the replicas' pool; everything else, writes and
  the user cache's fills included, goes to the primary.
- What a write leaves behind. After a write for a caller commits (`write`, `write_row`), the
  primary's WAL position is kept in Redis for REMEMBER seconds: as the writer's own
  (`lsn-<user id>`) and, when higher, as the latest of anyone's (`lsn-latest`, a max kept by a
  script since concurrent writes finish in any order). Positions are integers (bytes into WAL).
- How a read learns them. The auth guard reads the caller's cache entry through `peek_users`,
  whose one Redis round trip also fetches both positions; they and the caller are then kept in
  ContextVars of the request's task, which `read` and `write` consult.
- When a replica may answer. A read on a replica first waits for it to have replayed the
  position it needs (api.replayed, at most WAIT_MS), else goes to the primary: a post or
  comments need the caller's own last write; the feed (`current=True`) needs the latest write of
  anyone, since a post is in every follower's feed as soon as its 201 is answered (docs/api.md).
- When nobody can tell. Without Redis, or with the user cache's breaker open (the positions share
  its round trip and its breaker, so a failed keep makes the next reads go to the primary), reads
  go to the primary. A replica that is down, starting up or refusing (25006) sends the read to
  the primary: replicas never cause an error of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final

import asyncpg
from redis.asyncio.client import Pipeline

from api.cache import CachedUser, UserCache
from api.errors import CONNECTION_ERRORS, UNAVAILABLE_CLASSES
from api.pool import Pool

log = logging.getLogger("gosocial.replicas")

REMEMBER = 60  # seconds a write position is kept: a replica further behind has failed anyway
WAIT_MS = 50  # how long a read waits for a replica to replay the position it needs
UNKNOWN: Final = -1  # nobody can tell what was written: read on the primary
LATEST = "lsn-latest"


def own_key(writer: int) -> str:
    return f"lsn-{writer}"


@dataclass(frozen=True, slots=True)
class Positions:
    """What a read must find replayed: the caller's last write, and anyone's latest (0: none in
    the last REMEMBER seconds; UNKNOWN: Redis cannot tell)."""

    own: int = UNKNOWN
    latest: int = UNKNOWN


NOTHING_KNOWN: Final = Positions()
# The request's caller and its positions, set by `peek_users` (the auth guard's cache read).
_caller: ContextVar[int | None] = ContextVar("caller", default=None)
_positions: ContextVar[Positions] = ContextVar("positions", default=NOTHING_KNOWN)

# Positions of concurrent writes arrive in any order: keep the highest.
_KEEP_MAX = """
local kept = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > kept then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
"""
_REPLAYED = "SELECT api.replayed(p_lsn => '0/0'::pg_lsn + $1::numeric, p_wait_ms => $2)"
# The insert position: past this transaction's commit record even when commits are asynchronous
# (pg_current_wal_lsn, the write position, may not have reached it yet).
_POSITION = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"


class ReplicaReads:
    """Where calls go: writes to the primary, keeping their position; reads to a replica when
    there are replicas and it has what the caller must see, else to the primary."""

    def __init__(self, primary: Pool, replica: Pool | None, cache: UserCache) -> None:
        self._primary = primary
        self.replica = replica
        self._cache = cache
        self.on_replica = 0
        self.on_primary = 0  # with replicas: the caller's write not replayed yet, or a replica down

    async def peek_users(self, caller: int, *user_ids: int) -> list[CachedUser | None]:
        """The users' cache entries (UserCache.peek), and with replicas, in the same round trip,
        the positions the caller's reads need; remembers both for the request's task."""
        keys = (own_key(caller), LATEST) if self.replica is not None else ()
        users, values = await self._cache.peek_with(keys, *user_ids)
        _caller.set(caller)
        known = NOTHING_KNOWN
        if keys and values is not None:
            known = Positions(*(int(raw or 0) for raw in values))
        _positions.set(known)
        return users

    async def read(self, query: str, *args: Any, current: bool = False) -> Any:
        """`current`: the read must hold every write answered so far (the feed), not only the
        caller's own."""
        known = _positions.get()
        after = max(known.own, known.latest) if current else known.own
        if self.replica is not None and UNKNOWN not in (known.own, after):
            try:
                async with self.replica.acquire() as conn:
                    if after == 0 or await conn.fetchval(_REPLAYED, after, WAIT_MS):
                        result = await conn.fetchval(query, *args)
                        self.on_replica += 1
                        return result
            except (*CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
                if not _unavailable(exc):
                    raise
                log.warning("replica unavailable, reading on the primary: %r", exc)
        if self.replica is not None:
            self.on_primary += 1
        return await self._primary.fetchval(query, *args)

    async def write(self, query: str, *args: Any) -> Any:
        """A call that writes for the caller, on the primary; its value."""
        async with self._primary.acquire() as conn:
            result = await conn.fetchval(query, *args)
            await self._keep_position(conn)
        return result

    async def write_row(
        self, query: str, *args: Any, wrote: Callable[[asyncpg.Record], bool]
    ) -> asyncpg.Record:
        """`write` for a call answering one row; `wrote(row)` False: it wrote nothing (a replay
        of a keyed creation, whose position the first request kept), so no position is kept."""
        async with self._primary.acquire() as conn:
            row = await conn.fetchrow(query, *args)
            assert row is not None  # the calls given here answer one row
            if wrote(row):
                await self._keep_position(conn)
        return row

    async def _keep_position(self, conn: asyncpg.Connection) -> None:
        writer = _caller.get()
        if self.replica is None or writer is None:
            return
        lsn = await conn.fetchval(_POSITION)

        def keep(pipe: Pipeline) -> None:
            pipe.set(own_key(writer), lsn, ex=REMEMBER)
            pipe.eval(_KEEP_MAX, 1, LATEST, lsn, REMEMBER)

        await self._cache.send(keep)


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        return state == "25006" or state.startswith(UNAVAILABLE_CLASSES)
    return True  # refused, reset, timed out, pool closing

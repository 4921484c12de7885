"""Reads on replicas, each caller reading its own writes.

With DATABASE_READ_URL set, the read-only calls that carry the load (the feed, a post, a post's
comments) go to the replicas' pool; everything else, the user cache's fills included, goes to the
primary. After a caller's write commits, the primary's WAL position is kept in Redis beside the
cached user (`lsn-<user id>`, for REMEMBER seconds); the caller's next read on a replica first
waits for the replica to have replayed it (api.replayed, at most WAIT_MS), else goes to the
primary. When Redis cannot tell (no Redis, or its breaker open), reads go to the primary. A
replica that is down, starting up or read-only-refusing sends the read to the primary: replicas
never cause an error of their own.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from api.errors import UNAVAILABLE_CLASSES

if TYPE_CHECKING:
    from api.db import Pool

log = logging.getLogger("gosocial.replicas")

REMEMBER = 60  # seconds a write position is kept: a replica further behind has failed anyway
WAIT_MS = 50  # how long a read waits for a replica to replay the caller's last write

UNKNOWN: Final = "unknown"  # nobody can tell what the caller last wrote: read on the primary
# Set for the request's task by api.auth.current_user: who is calling, and the WAL position of
# its last write (None: none in the last REMEMBER seconds).
caller: ContextVar[int | None] = ContextVar("caller", default=None)
position: ContextVar[str | None] = ContextVar("position", default=UNKNOWN)

_REPLAYED = "SELECT api.replayed(p_lsn => $1::text::pg_lsn, p_wait_ms => $2)"


class Reads:
    """Where read-only calls go: a replica when there are replicas and it can serve the caller,
    else the primary."""

    def __init__(self, primary: Pool, replica: Pool | None) -> None:
        self._primary = primary
        self.replica = replica
        self.on_replica = 0
        self.on_primary = 0  # with replicas: the caller's write not replayed yet, or a replica down

    async def fetchval(self, query: str, *args: Any) -> Any:
        after = position.get()
        if self.replica is not None and after != UNKNOWN:
            try:
                async with self.replica.acquire() as conn:
                    if after is None or await conn.fetchval(_REPLAYED, after, WAIT_MS):
                        result = await conn.fetchval(query, *args)
                        self.on_replica += 1
                        return result
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                if not _unavailable(exc):
                    raise
                log.warning("replica unavailable, reading on the primary: %r", exc)
        if self.replica is not None:
            self.on_primary += 1
        return await self._primary.fetchval(query, *args)


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        return state == "25006" or state.startswith(UNAVAILABLE_CLASSES)
    return True  # refused, reset, timed out, pool closing

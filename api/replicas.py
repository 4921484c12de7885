"""Reads on replicas, each caller reading its own writes.

With DATABASE_READ_URL set, the read-only calls that carry the load (the feed, a post, a post's
comments) go to the replicas' pool; everything else, the user cache's fills included, goes to the
primary. After a write commits, the primary's WAL position is kept in Redis (for REMEMBER
seconds): the writer's (`lsn-<user id>`) and the latest of all (`lsn-latest`), both read in the
caller's cache round trip. A read on a replica first waits for it to have replayed the position
it needs (api.replayed, at most WAIT_MS), else goes to the primary: a post or comments need the
caller's own last write (it reads its writes); the feed needs the latest write of anyone, since
API.md has a post in every follower's feed as soon as its 201 is answered. When Redis cannot tell
(no Redis, or its breaker open), reads go to the primary. A replica that is down, starting up or
refusing (25006) sends the read to the primary: replicas never cause an error of their own.

Positions are integers (bytes into the WAL), so the latest is a max Redis keeps with a script.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import asyncpg

from api.errors import CONNECTION_ERRORS, UNAVAILABLE_CLASSES

if TYPE_CHECKING:
    from api.db import Pool

log = logging.getLogger("gosocial.replicas")

REMEMBER = 60  # seconds a write position is kept: a replica further behind has failed anyway
WAIT_MS = 50  # how long a read waits for a replica to replay the caller's last write

UNKNOWN: Final = -1  # nobody can tell what was written: read on the primary


@dataclass(frozen=True, slots=True)
class Positions:
    """What a read must find replayed: the caller's last write, and anyone's latest (0: none in
    the last REMEMBER seconds; UNKNOWN: Redis cannot tell)."""

    own: int = UNKNOWN
    latest: int = UNKNOWN


# Set for the request's task by api.auth.current_user.
caller: ContextVar[int | None] = ContextVar("caller", default=None)
NOTHING_KNOWN: Final = Positions()
positions: ContextVar[Positions] = ContextVar("positions", default=NOTHING_KNOWN)

_REPLAYED = "SELECT api.replayed(p_lsn => '0/0'::pg_lsn + $1::numeric, p_wait_ms => $2)"


class Reads:
    """Where read-only calls go: a replica when there are replicas and it can serve the caller,
    else the primary."""

    def __init__(self, primary: Pool, replica: Pool | None) -> None:
        self._primary = primary
        self.replica = replica
        self.on_replica = 0
        self.on_primary = 0  # with replicas: the caller's write not replayed yet, or a replica down

    async def fetchval(self, query: str, *args: Any, current: bool = False) -> Any:
        """`current`: the read must hold every write answered so far (the feed), not only the
        caller's own."""
        known = positions.get()
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


def _unavailable(exc: Exception) -> bool:
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        return state == "25006" or state.startswith(UNAVAILABLE_CLASSES)
    return True  # refused, reset, timed out, pool closing

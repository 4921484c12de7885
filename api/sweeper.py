"""Background work each worker runs beside the requests.

`sweep` runs the purges every INVITATION_SWEEP_INTERVAL seconds. Users whose invitation
expired unactivated: the registration saga commits the user before mailing, and a crash between
the two would leave an account nobody can activate; the sweep bounds that to INVITATION_TTL.
Idempotency keys past their 24 hours, and login-throttle windows that have passed (unknown
emails are counted too). Each purge takes an advisory lock, so with several workers or
instances one of each runs at a time.

`drain_fanout` copies queued posts into their followers' timelines. A post by an author with
many followers is not copied in its own transaction (db/triggers/timeline_after_post_insert.sql):
the database queues it and sends NOTIFY social_fanout. Every worker listens and drains;
api.fan_out_queued skips rows another caller holds, so workers and instances share the work. A
timer drains what a missed notification left (the listening connection lost, say). Readers see
queued posts anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

import asyncpg

from api.db import fan_out_queued
from api.pool import connect
from api.settings import Settings

log = logging.getLogger("gosocial.sweeper")

FANOUT_CHANNEL = "social_fanout"
FANOUT_BATCH = 8  # posts per transaction: short transactions, author locks held briefly
FANOUT_INTERVAL = 1.0  # seconds between drains when no notification comes


async def sweep(jobs: Mapping[str, Callable[[], Awaitable[int]]], interval: float) -> None:
    """Run each purge (named by what it removes) every `interval` seconds."""
    while True:
        await asyncio.sleep(interval)
        for what, purge in jobs.items():
            try:
                removed = await purge()
            except Exception as exc:  # the database may be down: try again next round
                log.warning("sweep of %s failed: %r", what, exc)
                continue
            if removed:
                log.info("removed %d %s", removed, what)


async def drain_fanout(settings: Settings) -> None:
    """Drain when notified and every FANOUT_INTERVAL seconds, on a connection of its own: the
    copying never takes a connection from the requests' pool, not even while the database is
    slow and requests wait for one."""
    wake = asyncio.Event()
    # LISTEN is session state, which PgBouncer's transaction mode does not keep: timer only.
    listen = not settings.db_pgbouncer
    conn: asyncpg.Connection | None = None
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FANOUT_INTERVAL):
                    await wake.wait()
            wake.clear()
            try:
                if conn is None or conn.is_closed():
                    conn = await connect(settings)
                    if listen:
                        await conn.add_listener(FANOUT_CHANNEL, lambda *_: wake.set())
                while await fan_out_queued(conn, FANOUT_BATCH) == FANOUT_BATCH:
                    pass
            except Exception as exc:  # the database may be down: the queue waits for it
                log.warning("fan-out drain failed: %r", exc)
                if conn is not None:
                    conn.terminate()
                    conn = None
    finally:
        if conn is not None:
            conn.terminate()

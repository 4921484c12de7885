"""Background work each worker runs beside the requests.

`sweep_invitations` removes users whose invitation expired unactivated. The registration saga
commits the user before mailing; a crash between the two would leave an account nobody can
activate. This periodic sweep bounds that to INVITATION_TTL. The function takes an advisory
lock, so with several workers or instances one sweep runs at a time.

`drain_fanout` copies queued posts into their followers' timelines. A post by an author with
many followers is not copied in its own transaction (db/schema/timeline.sql): the database
queues it and sends NOTIFY social_fanout. Every worker listens and drains; api.fan_out_queued
skips rows another caller holds, so workers and instances share the work. A timer drains what a
missed notification left (the listening connection lost, say). Readers see queued posts anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from api.db import Posts, Users

log = logging.getLogger("gosocial.sweeper")

FANOUT_CHANNEL = "social_fanout"
FANOUT_BATCH = 8  # posts per transaction: short transactions, author locks held briefly
FANOUT_INTERVAL = 1.0  # seconds between drains when no notification comes


async def sweep_invitations(users: Users, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            removed = await users.purge_expired_invitations()
        except Exception as exc:  # the database may be down: try again next round
            log.warning("invitation sweep failed: %r", exc)
            continue
        if removed:
            log.info("removed %d users whose invitation expired", removed)


async def drain_fanout(posts: Posts, database_url: str | None) -> None:
    """Drain when notified (listening on `database_url`) and every FANOUT_INTERVAL seconds."""
    wake = asyncio.Event()
    listener: asyncpg.Connection | None = None
    try:
        while True:
            if database_url and (listener is None or listener.is_closed()):
                listener = await _listen(database_url, wake)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FANOUT_INTERVAL):
                    await wake.wait()
            wake.clear()
            try:
                while await posts.fan_out_queued(FANOUT_BATCH) == FANOUT_BATCH:
                    pass
            except Exception as exc:  # the database may be down: the queue waits for it
                log.warning("fan-out drain failed: %r", exc)
    finally:
        if listener is not None:
            listener.terminate()


async def _listen(database_url: str, wake: asyncio.Event) -> asyncpg.Connection | None:
    try:
        conn = await asyncpg.connect(database_url, timeout=5)
        await conn.add_listener(FANOUT_CHANNEL, lambda *_: wake.set())
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("cannot listen for fan-out notifications: %r", exc)
        return None
    return conn

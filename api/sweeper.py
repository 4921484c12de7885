"""Removes users whose invitation expired unactivated.

The registration saga commits the user before mailing; a crash between the two would leave an
account nobody can activate. This periodic sweep bounds that to INVITATION_TTL. The function
takes an advisory lock, so with several workers or instances one sweep runs at a time.
"""

from __future__ import annotations

import asyncio
import logging

from api.db import Users

log = logging.getLogger("gosocial.sweeper")


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

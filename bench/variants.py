"""Experiments: the service with one change applied at start-up, api/ left as it is.

    python bench/variants.py nice-bcrypt     # bcrypt runs in threads at nice 19
    python bench/variants.py no-pool-reset   # asyncpg's pool skips its reset query on release

Serves exactly like `python -m api` (same settings, same prepare arguments); the variant's patch
is applied in each worker's factory, since workers are spawned processes that import afresh.
A variant that measures well here is a proposal for api/, with the benchmark row as evidence.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from api.app import create_app
from api.logs import configure_logging
from api.settings import Settings


def _lower_this_thread() -> None:
    # Linux: a thread's nice value is its own (setpriority on its TID). Only worker threads:
    # the event loop keeps its priority, the hashes take whatever CPU is left.
    if threading.current_thread() is not threading.main_thread():
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


def nice_bcrypt() -> None:
    """Passwords.hash/check call bcrypt through asyncio.to_thread: lower those threads."""
    import api.security as security

    real = security.bcrypt

    class NicedBcrypt:
        gensalt = staticmethod(real.gensalt)

        @staticmethod
        def hashpw(password: bytes, salt: bytes) -> bytes:
            _lower_this_thread()
            return real.hashpw(password, salt)

        @staticmethod
        def checkpw(password: bytes, hashed: bytes) -> bool:
            _lower_this_thread()
            return real.checkpw(password, hashed)

    security.bcrypt = NicedBcrypt  # type: ignore[assignment]


def no_pool_reset() -> None:
    """asyncpg's pool sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    on every release (a second round trip per query). The service keeps no session state (no
    SET, LISTEN, advisory lock or cursor outlives a call), so a no-op `reset` is enough; an open
    transaction is still rolled back by the pool."""
    import asyncpg

    real = asyncpg.create_pool

    async def keep(conn: asyncpg.Connection) -> None:
        return None

    def create_pool(*args: object, **kwargs: object) -> asyncpg.Pool:
        kwargs.setdefault("reset", keep)
        return real(*args, **kwargs)

    asyncpg.create_pool = create_pool  # api.db calls asyncpg.create_pool at start-up


VARIANTS: dict[str, Callable[[], None]] = {
    "nice-bcrypt": nice_bcrypt,
    "no-pool-reset": no_pool_reset,
}


def worker_app(variant: str, settings: Settings) -> Sanic:
    configure_logging()
    VARIANTS[variant]()
    return create_app(settings)


def main() -> None:
    if len(sys.argv) != 2 or sys.argv[1] not in VARIANTS:
        sys.exit(f"usage: python bench/variants.py {{{','.join(VARIANTS)}}}")
    configure_logging()
    settings = Settings()
    loader = AppLoader(factory=partial(worker_app, sys.argv[1], settings))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        motd=False,
        single_process=False,
    )
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()

"""`create_app(settings)`: the Sanic application, its resources on `app.ctx`, its middleware."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import signal
from functools import partial

from sanic import Sanic
from sanic.config import Config
from sanic.exceptions import RequestCancelled

from api import metrics, middleware, tracing
from api.cache import UserCache, create_redis
from api.context import ApiRequest, Context
from api.db import Db
from api.edge import Gate
from api.errors import render
from api.mail import build_mailer
from api.openapi import SPEC_URI, UI_PREFIX, describe
from api.pages import Cursors
from api.pool import create_pool, longest_call
from api.ratelimit import RateLimiter
from api.replica_reads import ReplicaReads
from api.responses import dumps
from api.routes import (
    auth,
    links,
    notifications,
    ops,
    posts,
    probes,
    prometheus,
    reports,
    users,
)
from api.security import Passwords, Tokens
from api.settings import Settings
from api.sweeper import drain_fanout, sweep

log = logging.getLogger("gosocial.app")
MAX_ID = 2**63 - 1
_ID = re.compile(r"^[1-9][0-9]{0,18}$")  # docs/api.md: ids are positive integers, no other spelling
App = Sanic[Config, Context]


def create_app(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    settings.check_production()
    ctx = Context(
        settings=settings,
        tokens=Tokens(settings),
        cursors=Cursors(settings.jwt_secret),
        passwords=Passwords(settings.bcrypt_cost),
        mailer=build_mailer(settings),
        gate=Gate.from_settings(settings),
    )
    app: App = Sanic(
        "gosocial",
        ctx=ctx,
        dumps=dumps,  # compact, times as docs/api.md "Conventions" writes them
        request_class=ApiRequest,  # type: ignore[arg-type]  # sanic types it for SimpleNamespace
        configure_logging=False,
    )
    _configure(app, settings)
    describe(app)  # the OpenAPI document's header, and the offline Swagger UI
    app.router.register_pattern("id", _positive_bigint, _ID)
    for module in (auth, users, posts, reports, notifications, ops, probes, links, prometheus):
        app.blueprint(module.bp)
    app.error_handler.add(Exception, render)
    app.error_handler.add(RequestCancelled, render)  # a CancelledError, not an Exception
    middleware.install(app)
    tracing.install(app)
    app.before_server_start(open_resources)
    app.after_server_start(start_loops)
    app.before_server_stop(stop_loops)
    app.after_server_stop(close_resources)
    return app


def _configure(app: App, settings: Settings) -> None:
    app.config.update(
        REQUEST_MAX_SIZE=1024 * 1024,
        GRACEFUL_SHUTDOWN_TIMEOUT=settings.graceful_shutdown_timeout,
        FALLBACK_ERROR_FORMAT="json",
        CORS_ORIGINS=settings.cors_allowed_origin,
        CORS_METHODS="GET,POST,PUT,PATCH,DELETE,OPTIONS",
        CORS_ALLOW_HEADERS="Authorization,Content-Type,If-Match,Idempotency-Key,X-Request-ID",
        CORS_EXPOSE_HEADERS="X-Request-ID,X-RateLimit-Limit,X-RateLimit-Remaining,"
        "X-RateLimit-Reset,Retry-After,ETag,Link,Idempotent-Replayed",
        # sanic-ext builds and serves the document at /v1/swagger/openapi.json; its own UIs
        # load their assets from CDNs (and Swagger's OAuth2 page at run time), so both are off
        # and the UI comes from the swagger-ui-py package (api/openapi.py).
        OAS_URL_PREFIX=UI_PREFIX,
        OAS_URI_TO_JSON=SPEC_URI,
        OAS_UI_DEFAULT=None,
        OAS_UI_SWAGGER=False,
        OAS_UI_REDOC=False,
        OAS_AUTODOC=False,
    )


def _positive_bigint(value: str) -> int:
    # The router applies the pattern to regex routes only; for `<x:id>` it calls this alone,
    # and int() also takes `+10`, `1_0`, ` 10` and other digits than ASCII's.
    if not _ID.fullmatch(value):
        raise ValueError(value)  # the router then answers 404
    number = int(value)
    if number > MAX_ID:
        raise ValueError(value)
    return number


async def open_resources(app: App) -> None:
    ctx, settings = app.ctx, app.ctx.settings
    ctx.pool = await create_pool(settings)
    ctx.redis = create_redis(settings.redis_url)
    tombstone_ttl = math.ceil(2 * longest_call(settings))
    ctx.cache = UserCache(ctx.redis, settings.cache_ttl, tombstone_ttl)
    replica = None
    if settings.database_read_url:
        # No connection at start: the service starts, and reads fall back, with replicas down.
        replica = await create_pool(settings, settings.database_read_url, min_size=0)
    ctx.reads = ReplicaReads(ctx.pool, replica, ctx.cache)
    if settings.rate_limit_enabled:
        ctx.limiter = RateLimiter(
            ctx.redis, settings.rate_limit_requests, settings.rate_limit_window
        )
    ctx.db = Db(ctx.pool, ctx.reads)


async def start_loops(app: App) -> None:
    ctx = app.ctx
    jobs = {
        "users whose invitation expired": partial(ctx.db.value, "purge_expired_invitations"),
        "idempotency keys past 24 h": partial(ctx.db.value, "purge_idempotency_keys"),
        "passed login-throttle windows": partial(ctx.db.value, "purge_login_failures"),
    }
    # Plain tasks, not app.add_task: Sanic cancels its own at the stop signal and logs a warning
    # for each; these are cancelled and awaited by stop_loops instead.
    ctx.loops = [
        asyncio.create_task(sweep(jobs, ctx.settings.invitation_sweep_interval)),
        asyncio.create_task(drain_fanout(ctx.settings)),
        asyncio.create_task(ctx.pool.keep_figures()),
    ]
    _stop_on_first_signal(app)


async def stop_loops(app: App) -> None:
    for task in app.ctx.loops:
        task.cancel()
    await asyncio.gather(*app.ctx.loops, return_exceptions=True)


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop_on_first_signal(app: App) -> None:
    """Stop the worker on SIGINT or SIGTERM, and ignore any further one.

    Ctrl-C signals every process of the terminal's group, so a worker gets SIGINT twice: from
    the terminal and from the main process passing the stop on. Sanic removes its handlers once
    the loop stops, which restores Python's default (KeyboardInterrupt for SIGINT, death for
    SIGTERM); a second signal then broke into the shutdown listeners, and Sanic ran them again,
    leaving the first pool close half done ("Exception ignored in: <coroutine
    PoolConnectionHolder.close> ... RuntimeError: Event loop is closed")."""
    loop = asyncio.get_running_loop()

    def stop() -> None:
        # Removed here, Sanic's own removal later finds nothing and leaves SIG_IGN in place.
        # Removing restores the default for a moment: a signal then waits (blocked), or raises
        # KeyboardInterrupt right away, and is dropped once ignored.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        for number in _STOP_SIGNALS:
            with contextlib.suppress(KeyboardInterrupt):
                loop.remove_signal_handler(number)
            signal.signal(number, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        app.stop(terminate=False)

    for number in _STOP_SIGNALS:
        loop.add_signal_handler(number, stop)


async def close_resources(app: App) -> None:
    # After, not before, server stop: in-flight requests finish with the pool still open.
    ctx = app.ctx
    if ctx.background:  # mail still being sent after its request's answer
        await asyncio.wait(ctx.background, timeout=ctx.settings.smtp_timeout)
    if ctx.redis is not None:
        await ctx.redis.aclose()
    if hasattr(ctx, "pool"):
        await ctx.pool.close()
    if hasattr(ctx, "reads") and ctx.reads.replica is not None:
        await ctx.reads.replica.close()
    ctx.passwords.close()
    metrics.worker_stopped()
    log.info("database pool and redis client closed")

"""`create_app(settings)`: the Sanic application, its resources on `app.ctx`, its middleware."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

import orjson
from redis.asyncio import Redis
from sanic import HTTPResponse, Request, Sanic

from api import __version__
from api.cache import UserCache, create_redis
from api.db import Pool, Posts, RefreshTokens, Users, create_pool
from api.docs import OAS_TAGS, SPEC_URI, UI_PREFIX, mount_swagger_ui
from api.errors import ApiError, render
from api.logs import safe_path
from api.mail import Mailer, build_mailer
from api.ratelimit import RateLimiter
from api.routes import auth, ops, posts, users
from api.security import Passwords, Tokens
from api.settings import Settings
from api.sweeper import sweep_invitations

access_log = logging.getLogger("gosocial.access")
log = logging.getLogger("gosocial.app")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MAX_ID = 2**63 - 1
_STATUS_CLASS = {n: f"{n}xx" for n in range(1, 6)}


@dataclass
class Context:
    """Everything a handler reaches through `request.app.ctx`; built per app, never global."""

    settings: Settings
    tokens: Tokens
    passwords: Passwords
    mailer: Mailer
    started: float = field(default_factory=time.monotonic)
    requests: Counter[str] = field(default_factory=Counter)
    pool: Pool = None  # type: ignore[assignment]  # opened before the server starts
    redis: Redis | None = None
    cache: UserCache = None  # type: ignore[assignment]
    limiter: RateLimiter | None = None
    users: Users = None  # type: ignore[assignment]
    posts: Posts = None  # type: ignore[assignment]
    refresh_tokens: RefreshTokens = None  # type: ignore[assignment]


def _positive_bigint(value: str) -> int:
    number = int(value)
    if not 0 < number <= MAX_ID:
        raise ValueError(value)  # the router then answers 404
    return number


def create_app(settings: Settings | None = None) -> Sanic:
    settings = settings or Settings()
    settings.check_production()
    ctx = Context(
        settings=settings,
        tokens=Tokens(settings),
        passwords=Passwords(settings.bcrypt_cost),
        mailer=build_mailer(settings),
    )
    # OpenAPI's status-code keys are ints: let orjson write them as strings.
    dumps = partial(orjson.dumps, option=orjson.OPT_NON_STR_KEYS)
    app = Sanic("gosocial", ctx=ctx, dumps=dumps, configure_logging=False)
    app.config.update(
        REQUEST_MAX_SIZE=1024 * 1024,
        RESPONSE_TIMEOUT=settings.request_timeout,
        GRACEFUL_SHUTDOWN_TIMEOUT=settings.graceful_shutdown_timeout,
        FALLBACK_ERROR_FORMAT="json",
        CORS_ORIGINS=settings.cors_allowed_origin,
        CORS_METHODS="GET,POST,PUT,PATCH,DELETE,OPTIONS",
        CORS_ALLOW_HEADERS="Authorization,Content-Type,If-Match,X-Request-ID",
        CORS_EXPOSE_HEADERS="X-Request-ID,X-RateLimit-Limit,X-RateLimit-Remaining,"
        "X-RateLimit-Reset,Retry-After,ETag",
        # sanic-ext builds and serves the document at /v1/swagger/openapi.json; its own UIs
        # load their assets from CDNs (and Swagger's OAuth2 page at run time), so both are off
        # and the UI comes from the swagger-ui-py package (mount_swagger_ui below).
        OAS_URL_PREFIX=UI_PREFIX,
        OAS_URI_TO_JSON=SPEC_URI,
        OAS_UI_DEFAULT=None,
        OAS_UI_SWAGGER=False,
        OAS_UI_REDOC=False,
        OAS_AUTODOC=False,
    )
    app.ext.openapi.describe(
        "GoSocial API",
        version=__version__,
        description="A social network: users, follows, posts, a feed.",
    )
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer", bearer_format="JWT")
    app.ext.openapi.add_security_scheme("basic", "http", scheme="basic")
    for name, text in OAS_TAGS:  # declared up front: a fixed order, with descriptions
        app.ext.openapi.tag(name, text)
    mount_swagger_ui(app)
    app.router.register_pattern("id", _positive_bigint, r"^[0-9]{1,19}$")
    for module in (auth, users, posts, ops):
        app.blueprint(module.bp)
    app.error_handler.add(Exception, render)

    @app.before_server_start
    async def open_resources(app: Sanic) -> None:
        ctx.pool = await create_pool(settings)
        ctx.redis = create_redis(settings.redis_url)
        ctx.cache = UserCache(ctx.redis, settings.cache_ttl)
        if settings.rate_limit_enabled:
            ctx.limiter = RateLimiter(
                ctx.redis, settings.rate_limit_requests, settings.rate_limit_window
            )
        ctx.users, ctx.posts = Users(ctx.pool), Posts(ctx.pool)
        ctx.refresh_tokens = RefreshTokens(ctx.pool)

    @app.after_server_start
    async def start_sweeper(app: Sanic) -> None:
        app.add_task(
            sweep_invitations(ctx.users, settings.invitation_sweep_interval), name="sweeper"
        )

    @app.before_server_stop
    async def stop_sweeper(app: Sanic) -> None:
        await app.cancel_task("sweeper", raise_exception=False)

    @app.after_server_stop
    async def close_resources(app: Sanic) -> None:
        # After, not before, server stop: in-flight requests finish with the pool still open.
        if ctx.redis is not None:
            await ctx.redis.aclose()
        if ctx.pool is not None:
            await ctx.pool.close()
        ctx.passwords.close()
        log.info("database pool and redis client closed")

    access_logged = settings.access_log

    @app.on_request(priority=100)
    async def start(request: Request) -> HTTPResponse | None:
        request.ctx.started = time.perf_counter()
        given = request.headers.get("x-request-id", "")
        request.ctx.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        request.ctx.user = None
        if ctx.limiter is None:
            return None
        verdict = await ctx.limiter.hit(_client_ip(request, settings))
        request.ctx.rate_headers = verdict.headers()
        if not verdict.allowed:
            raise ApiError(429, "rate limit exceeded")
        return None

    @app.on_response(priority=100)
    async def finish(request: Request, response: HTTPResponse) -> None:
        request_id = getattr(request.ctx, "request_id", None) or uuid.uuid4().hex
        headers = response.headers
        headers["X-Request-ID"] = request_id
        rate_headers = getattr(request.ctx, "rate_headers", None)
        if rate_headers:
            headers.update(rate_headers)
        ctx.requests[_STATUS_CLASS[response.status // 100]] += 1
        if not access_logged:
            return
        user = getattr(request.ctx, "user", None)
        started = getattr(request.ctx, "started", None)
        access_log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": safe_path(request.path),
                "status": response.status,
                "user_id": user["id"] if user else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                if started
                else None,
            },
        )

    return app


def _client_ip(request: Request, settings: Settings) -> str:
    """The socket's peer address, unless a trusted proxy's header is configured."""
    if settings.trusted_proxy_header:
        forwarded = request.headers.get(settings.trusted_proxy_header, "")
        # The proxy appends the address it saw last; earlier entries are the client's to forge.
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.ip or "unknown"

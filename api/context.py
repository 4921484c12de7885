"""The typed contexts: the application's (`app.ctx`), the request's (`request.ctx`), and the
request type handlers take, through which both are typed."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson
from redis.asyncio import Redis
from sanic import Request, Sanic
from sanic.config import Config

from api.cache import UserCache
from api.db import Db
from api.edge import Gate
from api.mail import Mailer
from api.pages import Cursors
from api.pool import Pool
from api.ratelimit import RateLimiter
from api.replica_reads import ReplicaReads
from api.security import Passwords, Tokens
from api.settings import Settings

# Seconds `Context.after_response` waits before it starts its work: an answer is written in
# well under that once its handler has returned.
AFTER_RESPONSE_DELAY = 0.05


@dataclass
class Context:
    """Everything a handler reaches through `request.app.ctx`; built per app, never global.

    The fields without defaults are opened before the server starts (app.open_resources);
    reading one earlier raises AttributeError, which is what a misuse deserves."""

    settings: Settings
    tokens: Tokens
    passwords: Passwords
    mailer: Mailer
    cursors: Cursors
    gate: Gate  # the connection limits and counts (api/edge.py)
    started: float = field(default_factory=time.monotonic)
    requests: Counter[str] = field(default_factory=Counter)
    # /readyz's last answer and when it was checked (api/routes/probes.py)
    readiness: tuple[float, dict[str, Any]] = (float("-inf"), {})
    redis: Redis | None = None
    limiter: RateLimiter | None = None
    # Work a request leaves running after its answer (api.context.Context.after_response).
    background: set[asyncio.Task[None]] = field(default_factory=set)
    pool: Pool = field(init=False)
    cache: UserCache = field(init=False)
    reads: ReplicaReads = field(init=False)
    db: Db = field(init=False)  # the api.* functions
    # OpenTelemetry's, when tracing is on (api/tracing.py)
    tracer: Any = None
    tracer_provider: Any = None
    # The worker's own loops: sweeper, fan-out drainer, pool figures (api.app.start_loops)
    loops: list[asyncio.Task[None]] = field(default_factory=list)

    def after_response(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` without making the client wait for it; the server waits for it (a few
        seconds) before closing its resources. A reference is kept: the event loop keeps only
        a weak one, and an unreferenced task may be collected before it ends.

        `work` starts once the answer is out: begun at once, its first steps (rendering a mail,
        say) run on this loop before the answer is written, and a mailed address answered about
        1 ms later than an unknown one (measured on the activation resend, medians of 200)."""

        async def later() -> None:
            await asyncio.sleep(AFTER_RESPONSE_DELAY)
            await work

        task = asyncio.get_running_loop().create_task(later())
        self.background.add(task)
        task.add_done_callback(self.background.discard)


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The active user behind the request's access token, as the user cache holds it."""

    id: int
    email: str
    role: str
    is_active: bool
    raw: bytes  # the cached JSON, served as is when a user reads itself
    separated: frozenset[int]  # the users a block separates from this one

    @classmethod
    def parse(cls, raw: bytes, separated: frozenset[int] = frozenset()) -> CurrentUser:
        user = orjson.loads(raw)
        role = user["role"]["name"]
        return cls(user["id"], user["email"], role, user["is_active"], raw, separated)


class RequestContext(SimpleNamespace):
    request_id: str
    started: float
    # Set by the @authorized guard, so a guarded handler reads it without a None check.
    user: CurrentUser
    # Another user's cached JSON read in the caller's Redis round trip (None: a miss).
    also_raw: bytes | None
    rate_headers: dict[str, str] | None
    trace_id: str | None  # when tracing is on (api/tracing.py), for the access log

    def __init__(self) -> None:
        super().__init__(
            request_id="", started=0.0, also_raw=None, rate_headers=None, trace_id=None
        )

    @property
    def user_id(self) -> int | None:
        """The caller's id once authenticated, for logs."""
        user = getattr(self, "user", None)
        return user.id if user else None


class ApiRequest(Request[Sanic[Config, Context], RequestContext]):
    @staticmethod
    def make_context() -> RequestContext:
        return RequestContext()

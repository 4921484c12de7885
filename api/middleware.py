"""What runs around every handler: the request id, the rate limiter, the response headers, the
request counters and metrics, and the access log."""

from __future__ import annotations

import logging
import re
import time
import uuid

from sanic import Sanic
from sanic.config import Config
from sanic.response import BaseHTTPResponse

from api import metrics
from api.context import ApiRequest, Context
from api.endpoint import limited
from api.errors import ApiError
from api.logs import safe_path
from api.settings import Settings

access_log = logging.getLogger("gosocial.access")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_STATUS_CLASS = {n: f"{n}xx" for n in range(1, 6)}


def install(app: Sanic[Config, Context]) -> None:
    ctx, settings = app.ctx, app.ctx.settings
    access_logged = settings.access_log
    cors = bool(settings.cors_allowed_origin)

    async def start(request: ApiRequest) -> None:
        request.ctx.started = time.perf_counter()
        given = request.headers.get("x-request-id", "")
        request.ctx.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        if ctx.limiter is None or not limited(request.route):  # as the route declares
            return
        verdict = await ctx.limiter.hit(client_ip(request, settings))
        request.ctx.rate_headers = verdict.headers()
        if not verdict.allowed:
            metrics.RATE_LIMIT_REJECTIONS.inc()
            raise ApiError(429, "rate limit exceeded")

    async def finish(request: ApiRequest, response: BaseHTTPResponse) -> None:
        # A request Sanic refused before the request middleware ran has no id yet.
        request_id = request.ctx.request_id or uuid.uuid4().hex
        headers = response.headers
        headers["X-Request-ID"] = request_id
        if cors:
            vary_on_origin(response)
        if request.ctx.rate_headers:
            headers.update(request.ctx.rate_headers)
        ctx.requests[_STATUS_CLASS[response.status // 100]] += 1
        started = request.ctx.started
        # A request refused before the request middleware ran was not timed.
        elapsed = time.perf_counter() - started if started else None
        metrics.record_request(request.method, route_label(request), response.status, elapsed)
        if not access_logged:
            return
        access_log.info(
            "request",
            extra={
                "request_id": request_id,
                "trace_id": request.ctx.trace_id,
                "method": request.method,
                "path": safe_path(request.path),
                "status": response.status,
                "user_id": request.ctx.user_id,
                "duration_ms": None if elapsed is None else round(elapsed * 1000, 2),
            },
        )

    app.register_middleware(start, "request", priority=100)
    app.register_middleware(finish, "response", priority=100)


def vary_on_origin(response: BaseHTTPResponse) -> None:
    """`Vary: Origin` on every answer while CORS is on: whether the CORS headers come, and
    which, depends on the request's Origin, an unknown one or none included (sanic-ext adds it
    only when it allows the origin), so no cache may serve one origin's answer to another."""
    vary = response.headers.get("vary", "")
    if "origin" not in (token.strip().lower() for token in vary.split(",")):
        response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"


_PARAMETER_TYPE = re.compile(r"<([^:>]+):[^>]*>")
_labels: dict[str, str] = {}  # route template with types → metrics label, filled as routes run


def route_label(request: ApiRequest) -> str:
    """The route's template without parameter types (`/v1/posts/<post_id>`), never the raw path,
    so that every post id counts under one label; `unmatched` when no route answered."""
    template = request.uri_template
    if not template:
        return metrics.UNMATCHED
    label = _labels.get(template)
    if label is None:
        label = _labels[template] = _PARAMETER_TYPE.sub(r"<\1>", template)
    return label


def client_ip(request: ApiRequest, settings: Settings) -> str:
    """The socket's peer address, unless a trusted proxy's header is configured."""
    if settings.trusted_proxy_header:
        forwarded = request.headers.get(settings.trusted_proxy_header, "")
        # The proxy appends the address it saw last; earlier entries are the client's to forge.
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.ip or "unknown"

"""Operator routes behind Basic auth: health and debug variables."""

from __future__ import annotations

import asyncio
import time

from sanic import Blueprint, HTTPResponse, json

from api import __version__
from api.context import ApiRequest
from api.endpoint import endpoint
from api.routes.probes import probe
from api.schemas import DebugVars, Health

bp = Blueprint("ops", url_prefix="/v1")


@bp.get("/health")
@endpoint(
    "Health of the service and its dependencies",
    tag="ops",
    ok=(200, Health),
    ok_also=(503,),
    auth="basic",
)
async def health(request: ApiRequest) -> HTTPResponse:
    ctx = request.app.ctx
    database = await probe(ctx.pool.fetchval("SELECT 1"), failed="unavailable")
    cache = "disabled" if ctx.redis is None else await probe(ctx.redis.ping(), "unavailable")
    healthy = database == "ok" and cache != "unavailable"
    body = {
        "status": "ok" if healthy else "unavailable",
        "env": ctx.settings.env,
        "version": __version__,
        "database": database,
        "cache": cache,
    }
    return json({"data": body}, status=200 if healthy else 503)


@bp.get("/debug/vars")
@endpoint(
    "Runtime figures of this worker (expvar-style, no envelope)",
    tag="ops",
    ok=(200, DebugVars),
    enveloped=False,
    auth="basic",
)
async def debug_vars(request: ApiRequest) -> HTTPResponse:
    ctx = request.app.ctx
    return json(
        {
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - ctx.started, 3),
            "tasks": len(asyncio.all_tasks()),
            # size, idle, in_use, min, max, and waiting: callers inside acquire.
            "database": ctx.pool.figures(),
            "reads": {
                "replicas": ctx.reads.replica is not None,
                "on_replica": ctx.reads.on_replica,
                "on_primary": ctx.reads.on_primary,
            },
            "cache": {
                "enabled": ctx.redis is not None,
                "hits": ctx.cache.hits,
                "misses": ctx.cache.misses,
                "errors": ctx.cache.errors,
            },
            "rate_limit": {
                "enabled": ctx.limiter is not None,
                "rejected": ctx.limiter.rejected if ctx.limiter else 0,
            },
            "requests": ctx.requests,
        }
    )

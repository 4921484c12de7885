"""Probes for orchestrators: liveness and readiness, public and outside the rate limiter
(`limited=False`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import Any

from sanic import Blueprint, HTTPResponse, json

from api.context import ApiRequest
from api.endpoint import endpoint
from api.schemas import Liveness, Readiness

bp = Blueprint("probes")

# A probe storm reaches the database at most once a second per worker.
READINESS_TTL = 1.0


@bp.get("/livez")
@endpoint("The process serves (checks no dependency)", tag="ops", ok=(200, Liveness), auth=None,
     enveloped=False, limited=False)  # fmt: skip
async def livez(request: ApiRequest) -> HTTPResponse:
    return json({"status": "ok"})


@bp.get("/readyz")
@endpoint("The database answers (a down cache still counts as ready)", tag="ops",
     ok=(200, Readiness), ok_also=(503,), auth=None, enveloped=False, limited=False)  # fmt: skip
async def readyz(request: ApiRequest) -> HTTPResponse:
    ctx = request.app.ctx
    checked_at, body = ctx.readiness
    if time.monotonic() - checked_at > READINESS_TTL:
        body = await _readiness(request)
        ctx.readiness = (time.monotonic(), body)
    return json(body, status=200 if body["status"] == "ready" else 503)


async def _readiness(request: ApiRequest) -> dict[str, Any]:
    ctx = request.app.ctx
    database = await probe(ctx.pool.fetchval("SELECT 1"), failed="down")
    cache = "off" if ctx.redis is None else await probe(ctx.redis.ping(), failed="down")
    return {"status": "ready" if database == "ok" else "not ready", "database": database,
            "cache": cache}  # fmt: skip


async def probe(check: Awaitable[object], failed: str) -> str:
    """ "ok" when a dependency answers `check` within 2 s, else `failed` (each route's word)."""
    try:
        async with asyncio.timeout(2):
            await check
    except Exception:  # any failure means the dependency cannot serve us
        return failed
    return "ok"

"""Ceilings for the HTTP scenarios: the least a Sanic app can do per request, same worker count.

    GET /bare/<id>   answers the same JSON as GET /v1/users/{id} (from $CEILING_BODY) at once
    GET /redis/<id>  one Redis GET of `ceiling-user-<id>` (filled by the runner), answered as is

No middleware, no access log, the same Redis client settings as the service (api.cache).

    python bench/ceiling_app.py   # CEILING_PORT, CEILING_WORKERS, CEILING_REDIS_URL, CEILING_BODY
"""

from __future__ import annotations

import logging
import os
from functools import partial

from sanic import HTTPResponse, Request, Sanic
from sanic.worker.loader import AppLoader

from api.cache import create_redis


def create_app(body: bytes, redis_url: str) -> Sanic:
    # Workers are spawned: each says "Worker ready" (the runner waits for it), nothing per request.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("sanic.server").setLevel(logging.INFO)
    app = Sanic("ceiling", configure_logging=False)

    @app.before_server_start
    async def open_redis(app: Sanic) -> None:
        app.ctx.redis = create_redis(redis_url)

    @app.after_server_stop
    async def close_redis(app: Sanic) -> None:
        await app.ctx.redis.aclose()

    @app.get("/bare/<user_id:int>")
    async def bare(request: Request, user_id: int) -> HTTPResponse:
        return HTTPResponse(body, 200, None, "application/json")

    @app.get("/redis/<user_id:int>")
    async def one_get(request: Request, user_id: int) -> HTTPResponse:
        raw = await request.app.ctx.redis.get(f"ceiling-user-{user_id}")
        if raw is None:
            return HTTPResponse(b'{"error":"not found"}', 404, None, "application/json")
        return HTTPResponse(b'{"data":' + raw + b"}", 200, None, "application/json")

    return app


def main() -> None:
    body = os.environ["CEILING_BODY"].encode()
    redis_url = os.environ["CEILING_REDIS_URL"]
    loader = AppLoader(factory=partial(create_app, body, redis_url))
    app = loader.load()
    app.prepare(
        host="127.0.0.1",
        port=int(os.environ["CEILING_PORT"]),
        workers=int(os.environ.get("CEILING_WORKERS", "1")),
        access_log=False,
        motd=False,
        single_process=False,
    )
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()

"""`/metrics`: the Prometheus exposition of every worker's metrics (api/metrics.py), for
operators (Basic auth)."""

from __future__ import annotations

from sanic import Blueprint, HTTPResponse

from api import metrics
from api.context import ApiRequest
from api.endpoint import endpoint

bp = Blueprint("prometheus")


@bp.get("/metrics")
@endpoint(
    "Prometheus metrics, summed over every worker process (text exposition format 0.0.4)",
    tag="ops",
    ok=(200, "text/plain; version=0.0.4"),
    auth="basic",
)
async def scrape(request: ApiRequest) -> HTTPResponse:
    request.app.ctx.pool.record_figures()  # this worker's pool figures as of now
    return HTTPResponse(metrics.scrape(), content_type=metrics.CONTENT_TYPE)

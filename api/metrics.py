"""Every Prometheus metric of the service (docs/api.md, metrics), and the scrape of `/metrics`.

Sanic serves from several worker processes, so the metrics use prometheus-client's
multiprocess mode: each worker writes its values to files in PROMETHEUS_MULTIPROC_DIR, and a
scrape, answered by whichever worker gets it, sums the files of every worker. The main process
prepares that directory (emptied at start, before the workers are spawned: api/__main__.py); a
worker that stops removes its live gauges (`worker_stopped`). Counters and histograms of a
stopped worker stay in the sum, as a counter must not go down.

The `process_*` figures come from the process collector of the worker that answers the scrape
(its CPU, memory and open files), not from a sum over workers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
    multiprocess,
)

DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"  # api/__main__.py sets it up before the workers start
# The contract's format; generate_latest writes it (names and labels are plain ASCII here).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
UNMATCHED = "unmatched"  # the route label of a request no route matched (404, 405, 400)

HTTP_REQUESTS = Counter(
    "gosocial_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "gosocial_http_request_duration_seconds",
    "Time from the request's arrival to its response, by method and route template.",
    ["method", "route"],
    # Most answers take a few milliseconds: fine buckets there, coarse ones up to the timeout.
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Gauges: each worker sets its own pool's figures (api.pool.Pool.record_figures); a scrape
# adds those of the live workers.
DB_POOL_CONNECTIONS = Gauge(
    "gosocial_db_pool_connections",
    "Connections of the database pools, by state.",
    ["state"],
    multiprocess_mode="livesum",
)
DB_POOL_WAITING = Gauge(
    "gosocial_db_pool_waiting",
    "Callers waiting for a database connection.",
    multiprocess_mode="livesum",
)
CACHE_REQUESTS = Counter(
    "gosocial_cache_requests_total",
    "User cache lookups in Redis, by result (hit, miss, error).",
    ["result"],
)
RATE_LIMIT_REJECTIONS = Counter(
    "gosocial_rate_limit_rejections_total", "Requests refused with 429 by the rate limiter."
)
LOGIN_THROTTLED = Counter(
    "gosocial_login_throttled_total",
    "Password checks refused (429) by the per-account login throttle.",
)
CONNECTIONS_OPEN = Gauge(
    "gosocial_http_connections_open",
    "Client connections open (api/edge.py).",
    multiprocess_mode="livesum",
)
CONNECTIONS_REFUSED = Counter(
    "gosocial_http_connections_refused_total",
    "Connections refused at a cap (api/edge.py), by cap: total (503) or per_client (429).",
    ["cap"],
)
MAIL_SENDS = Counter(
    "gosocial_mail_sends_total",
    "Mail sends (invitations, password resets), by result (sent, retried, failed).",
    ["result"],
)

# Every labelled series from the start, so a scrape shows a 0 rather than no series at all.
for _state in ("idle", "in_use"):
    DB_POOL_CONNECTIONS.labels(_state)
CACHE_HITS, CACHE_MISSES, CACHE_ERRORS = (
    CACHE_REQUESTS.labels(r) for r in ("hit", "miss", "error")
)
for _result in ("sent", "retried", "failed"):
    MAIL_SENDS.labels(_result)
for _cap in ("total", "per_client"):
    CONNECTIONS_REFUSED.labels(_cap)


_Series = tuple[Counter, Histogram]
_series: dict[tuple[str, str, int], _Series] = {}  # filled as requests arrive


# Any token is a method to the HTTP parser: the others share one label, so that a client cannot
# make series (and files of every worker) without end.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"


def record_request(method: str, route: str, status: int, elapsed: float | None) -> None:
    """Count the answer and observe its time (None: never timed). The labelled children are
    looked up once per (method, route, status): `labels()` costs as much as the update."""
    if method not in METHODS:
        method = OTHER_METHOD
    series = _series.get((method, route, status))
    if series is None:
        series = _series[method, route, status] = (
            HTTP_REQUESTS.labels(method, route, status),
            HTTP_DURATION.labels(method, route),
        )
    series[0].inc()
    if elapsed is not None:
        series[1].observe(elapsed)


def scrape() -> bytes:
    """The exposition text: every worker's metrics summed, plus this process's `process_*`."""
    if not os.environ.get(DIRECTORY):  # one process (the app made in a test): its own registry
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    ProcessCollector(registry=registry)
    return generate_latest(registry)


def worker_stopped() -> None:
    """This worker's live gauges leave the sum (its counters stay: they must not go down)."""
    if os.environ.get(DIRECTORY):
        multiprocess.mark_process_dead(os.getpid())

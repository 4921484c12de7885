"""`/metrics` on a server of its own with two workers: one scrape sums both, labels are route
templates, Basic auth is required, and the cache, rate limit and mail counters move when those
things happen. The rate limiter keys on X-Forwarded-For here, so each test is its own client."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import testing.postgresql
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import Account, Cluster, base_env, make_user, own_cluster, smtp_env
from tests.services import Api, Mailbox, api, redis_process, wait_for

OPS = ("metrics", "metrics-password-0123456789")
WORKERS = 2
BUDGET = 5  # requests per client and window
WINDOW = 60  # seconds; windows are aligned on the epoch
_clients = itertools.count(1)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture(scope="module")
def cluster(pg_factory: testing.postgresql.PostgresqlFactory) -> Iterator[Cluster]:
    with own_cluster(pg_factory) as c:
        yield c


@pytest.fixture(scope="module")
def server(
    cluster: Cluster, smtp: tuple[int, Mailbox], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    log = tmp_path_factory.mktemp("metrics") / "api.log"
    with redis_process() as redis:
        env = {
            **base_env(cluster.app_url, redis.url),
            **smtp_env(smtp[0]),
            "WORKERS": str(WORKERS),
            "BASIC_AUTH_USERNAME": OPS[0],
            "BASIC_AUTH_PASSWORD": OPS[1],
            "RATE_LIMIT_ENABLED": "true",
            "RATE_LIMIT_REQUESTS": str(BUDGET),
            "RATE_LIMIT_WINDOW": str(WINDOW),
            "TRUSTED_PROXY_HEADER": "X-Forwarded-For",
            "LOGIN_MAX_FAILURES": "2",
        }
        with api(env, log) as s:
            wait_for(lambda: s.log_text().count("Worker ready") == WORKERS, 30, "the workers")
            yield s


def client_ip() -> dict[str, str]:
    """A client address of its own, hence a fresh rate-limit budget."""
    return {"X-Forwarded-For": f"10.0.{next(_clients)}.1"}


def scrape(server: Api) -> Samples:
    # A client address per scrape: scrapes never use up a test's budget.
    r = httpx.get(f"{server.url}/metrics", auth=OPS, headers=client_ip(), timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(r.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.mark.parametrize(
    "auth", [None, ("metrics", "wrong"), ("admin", "admin")], ids=["none", "wrong", "defaults"]
)
def test_metrics_need_basic_auth(server: Api, auth: tuple[str, str] | None) -> None:
    r = httpx.get(f"{server.url}/metrics", auth=auth, headers=client_ip())
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert r.json() == {"error": "invalid credentials"}
    assert "gosocial_http_requests_total" not in r.text


def test_one_scrape_sums_every_worker(server: Api, tmp_path: Path) -> None:
    before = scrape(server)
    n = 60
    for post_id in range(1, n + 1):
        # A connection per request, so that both workers get some; a 401 on a matched route.
        r = httpx.get(f"{server.url}/v1/posts/{post_id}", headers=client_ip())
        assert r.status_code == 401
    assert httpx.get(f"{server.url}/no/such/route", headers=client_ip()).status_code == 404
    pids = {
        line["pid"]
        for line in server.log_lines()
        if line.get("logger") == "gosocial.access" and line.get("path", "").startswith("/v1/posts/")
    }
    assert len(pids) == WORKERS, pids  # both workers served some of them

    after = scrape(server)
    route = {"method": "GET", "route": "/v1/posts/<post_id>"}
    name = "gosocial_http_requests_total"
    counted = value(after, name, **route, status="401") - value(before, name, **route, status="401")
    assert counted == n
    duration = "gosocial_http_request_duration_seconds_count"
    assert value(after, duration, **route) - value(before, duration, **route) == n
    # Route templates only: no label carries a raw path or a post id.
    routes = {dict(labels).get("route") for (_, labels) in after} - {None}
    assert "/v1/posts/1" not in routes and all("<" in r or "/1" not in r for r in routes)
    assert value(after, name, method="GET", route="unmatched", status="404") >= 1
    # The other metrics of docs/operations.md, present from the start.
    assert ("gosocial_db_pool_connections", frozenset({("state", "idle")})) in after
    assert ("gosocial_db_pool_connections", frozenset({("state", "in_use")})) in after
    assert ("gosocial_db_pool_waiting", frozenset()) in after
    assert ("gosocial_login_throttled_total", frozenset()) in after
    for result in ("sent", "retried", "failed"):
        assert ("gosocial_mail_sends_total", frozenset({("result", result)})) in after
    assert value(after, "process_resident_memory_bytes") > 0
    assert value(after, "process_open_fds") > 0


def test_pool_gauges_sum_the_live_workers(server: Api) -> None:
    # Each worker keeps DB_POOL_MIN (2) connections open; a second later both have reported.
    wait_for(
        lambda: (
            value(scrape(server), "gosocial_db_pool_connections", state="idle")
            + value(scrape(server), "gosocial_db_pool_connections", state="in_use")
            >= 2 * WORKERS
        ),
        5,
        "both workers' pool figures",
    )


def test_cache_counters_move(server: Api, mailbox: Mailbox) -> None:
    with server.client(headers=client_ip()) as client:
        user: Account = make_user(client, mailbox, "metrics_cache")
    before = scrape(server)
    with server.client(headers=client_ip()) as client:
        for _ in range(3):
            assert client.get(f"/v1/users/{user.id}", headers=user.headers).status_code == 200
    after = scrape(server)
    looked_up = sum(
        value(after, "gosocial_cache_requests_total", result=r)
        - value(before, "gosocial_cache_requests_total", result=r)
        for r in ("hit", "miss")
    )
    assert looked_up >= 3  # the caller's own user, at least once per request
    hits = "gosocial_cache_requests_total"
    assert value(after, hits, result="hit") - value(before, hits, result="hit") >= 2
    assert value(after, hits, result="error") == 0
    # The invitation went out through the SMTP server.
    assert value(after, "gosocial_mail_sends_total", result="sent") >= 1


def test_rate_limit_rejections_are_counted(server: Api) -> None:
    before = scrape(server)
    headers = client_ip()
    statuses = [httpx.get(f"{server.url}/livez").status_code for _ in range(BUDGET + 2)]
    assert set(statuses) == {200}  # the probes are not limited
    left = WINDOW - time.time() % WINDOW
    if left < 10:  # a new window in the middle would grant a second budget
        time.sleep(left + 0.05)
    statuses = [
        httpx.get(f"{server.url}/v1/posts/1", headers=headers).status_code
        for _ in range(BUDGET + 3)
    ]
    assert statuses == [401] * BUDGET + [429] * 3
    after = scrape(server)
    name = "gosocial_rate_limit_rejections_total"
    assert value(after, name) - value(before, name) == 3
    route = {"method": "GET", "route": "/v1/posts/<post_id>", "status": "429"}
    assert value(after, "gosocial_http_requests_total", **route) >= 3


def test_throttled_logins_are_counted(server: Api) -> None:
    before = scrape(server)
    login = {"email": "nobody-metrics@example.com", "password": "not the password"}
    headers = client_ip()
    statuses = [
        httpx.post(f"{server.url}/v1/auth/login", json=login, headers=headers).status_code
        for _ in range(4)
    ]
    assert statuses == [401, 401, 429, 429]
    after = scrape(server)
    name = "gosocial_login_throttled_total"
    assert value(after, name) - value(before, name) == 2


def test_unknown_methods_share_one_label(server: Api) -> None:
    before = scrape(server)
    for method in ("BREW", "XYZZY", "PROPFIND"):
        r = httpx.request(method, f"{server.url}/v1/posts/1", headers=client_ip())
        assert r.status_code == 405
    after = scrape(server)
    methods = {dict(labels).get("method") for (_, labels) in after} - {None}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    name, other = "gosocial_http_requests_total", {"method": "other", "status": "405"}
    moved = sum(
        value(after, name, **other, route=r) - value(before, name, **other, route=r)
        for r in {dict(labels).get("route") for (_, labels) in after} - {None}
    )
    assert moved == 3

"""Failing dependencies, on live servers with their own PostgreSQL cluster and redis-server:
Redis and PostgreSQL stopped and started again, a query stuck behind a lock, a panic, a request
past REQUEST_TIMEOUT, and SIGTERM with requests in flight."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import testing.postgresql

from tests.helpers import (
    BASIC,
    Account,
    Cluster,
    base_env,
    make_user,
    own_cluster,
    smtp_env,
    table_locked,
)
from tests.services import Api, Mailbox, RedisProcess, api, redis_process, wait_for

# Minutes on a loaded machine: make test starts these modules first (tests/conftest.py).
pytestmark = pytest.mark.slow

QUERY_TIMEOUT = 1.5
HUGE = "1000000"  # the limiter runs (and talks to Redis) but never refuses


@pytest.fixture(scope="module")
def cluster(pg_factory: testing.postgresql.PostgresqlFactory) -> Iterator[Cluster]:
    with own_cluster(pg_factory) as c:
        yield c


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisProcess]:
    with redis_process() as r:
        yield r


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


def server_env(cluster: Cluster, redis_url: str, smtp: tuple[int, Mailbox], **extra: str) -> dict:
    return {
        **base_env(cluster.app_url, redis_url),
        **smtp_env(smtp[0]),
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "4",
        "DB_QUERY_TIMEOUT": str(QUERY_TIMEOUT),
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_REQUESTS": HUGE,
        **extra,
    }


@pytest.fixture(scope="module")
def server(
    cluster: Cluster, redis: RedisProcess, smtp: tuple[int, Mailbox], logs: Path
) -> Iterator[Api]:
    with api(server_env(cluster, redis.url, smtp), logs / "api.log") as s:
        yield s


@pytest.fixture(scope="module")
def users(server: Api, mailbox: Mailbox) -> tuple[Account, Account]:
    with server.client() as client:
        return make_user(client, mailbox, "faults_a"), make_user(client, mailbox, "faults_b")


@pytest.fixture(scope="module")
def post_id(server: Api, users: tuple[Account, Account]) -> int:
    with server.client() as client:
        r = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=users[0].headers)
        assert r.status_code == 201, r.text
        return r.json()["data"]["id"]


def debug_vars(server: Api) -> dict:
    r = httpx.get(f"{server.url}/v1/debug/vars", auth=BASIC, timeout=5)
    assert r.status_code == 200, r.text
    return r.json()


def health(server: Api) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/health", auth=BASIC, timeout=5)


def get_post(server: Api, user: Account, post_id: int, timeout: float = 10) -> httpx.Response:
    return httpx.get(f"{server.url}/v1/posts/{post_id}", headers=user.headers, timeout=timeout)


def warnings_about(server: Api, name: str) -> list[dict]:
    return [
        line
        for line in server.log_lines()
        if line.get("level") == "warning" and line["message"].startswith(f"{name}: redis unavail")
    ]


def test_redis_outage_fails_open_and_recovers(
    server: Api, redis: RedisProcess, users: tuple[Account, Account]
) -> None:
    me, other = users
    with server.client() as client:
        first = client.get(f"/v1/users/{other.id}", headers=me.headers)
        assert first.status_code == 200, first.text
        before = debug_vars(server)["cache"]
        assert client.get(f"/v1/users/{other.id}", headers=me.headers).status_code == 200
        after = debug_vars(server)["cache"]
        assert after["hits"] > before["hits"]  # the profile is in Redis now
        remaining = int(first.headers["X-RateLimit-Remaining"])
        assert remaining < int(HUGE)  # the limiter counts in Redis

    outage = time.monotonic()
    redis.stop()
    try:
        # Cached reads come from PostgreSQL, the limiter lets requests through, fast.
        for _ in range(10):
            with server.client() as client:
                started = time.monotonic()
                r = client.get(f"/v1/users/{other.id}", headers=me.headers)
                assert r.status_code == 200, r.text
                assert r.json() == first.json()
                assert time.monotonic() - started < 1.5
                assert r.headers["X-RateLimit-Remaining"] == HUGE  # failed open
            time.sleep(0.2)
        r = health(server)
        assert r.status_code == 503, r.text
        body = r.json()["data"]
        assert (body["status"], body["database"], body["cache"]) == (
            "unavailable",
            "ok",
            "unavailable",
        )
        # Two seconds of failures, one warning per component (then quiet back-off).
        assert len(warnings_about(server, "user cache")) == 1
        assert len(warnings_about(server, "rate limiter")) == 1
    finally:
        redis.start()  # same port: the service is not restarted

    def recovered() -> bool:
        return health(server).status_code == 200

    wait_for(recovered, 10, "health to recover with Redis")
    with server.client() as client:

        def counting() -> bool:
            r = client.get(f"/v1/users/{other.id}", headers=me.headers)
            assert r.status_code == 200
            return r.headers["X-RateLimit-Remaining"] != HUGE

        wait_for(counting, 10, "the limiter to count in Redis again")
        hits = debug_vars(server)["cache"]["hits"]
        for _ in range(3):
            assert client.get(f"/v1/users/{other.id}", headers=me.headers).status_code == 200
        assert debug_vars(server)["cache"]["hits"] >= hits + 2  # served from Redis again
    assert any(line["message"].endswith("redis is back") for line in server.log_lines())
    assert time.monotonic() - outage < 30


def test_database_outage_is_a_prompt_503_then_recovers(
    server: Api, cluster: Cluster, users: tuple[Account, Account], post_id: int
) -> None:
    me = users[0]
    assert get_post(server, me, post_id).status_code == 200
    cluster.stop()
    try:
        for _ in range(3):
            started = time.monotonic()
            r = get_post(server, me, post_id)
            assert time.monotonic() - started < QUERY_TIMEOUT + 1.5
            assert r.status_code == 503, r.text
            assert r.json() == {"error": "the database is unavailable, try again later"}
        r = health(server)
        assert r.status_code == 503
        assert r.json()["data"]["database"] == "unavailable"
        assert r.json()["data"]["cache"] == "ok"
        # Readiness follows within its one-second cache; liveness does not care.
        wait_for(lambda: _probe(server, "/readyz").status_code == 503, 3, "not ready")
        ready = _probe(server, "/readyz").json()
        assert ready == {"status": "not ready", "database": "down", "cache": "ok"}
        assert _probe(server, "/livez").status_code == 200
    finally:
        cluster.start()
    wait_for(lambda: get_post(server, me, post_id).status_code == 200, 15, "the database")
    assert health(server).status_code == 200
    wait_for(lambda: _probe(server, "/readyz").status_code == 200, 3, "ready again")


def _probe(server: Api, path: str) -> httpx.Response:
    return httpx.get(f"{server.url}{path}", timeout=5)


def test_slow_query_is_cancelled_and_the_pool_stays_healthy(
    server: Api, cluster: Cluster, users: tuple[Account, Account], post_id: int
) -> None:
    me = users[0]
    assert get_post(server, me, post_id).status_code == 200  # the user is cached: no DB for auth
    with table_locked(cluster.url), ThreadPoolExecutor(6) as pool:
        started = time.monotonic()
        futures = [pool.submit(get_post, server, me, post_id) for _ in range(6)]
        # All six arrived (a loaded machine may take a while to send them): four hold the
        # pool's connections, two wait for one.
        figures: list[dict] = []

        def all_arrived() -> bool:
            figures.append(debug_vars(server)["database"])
            return figures[-1]["in_use"] + figures[-1]["waiting"] >= 6

        wait_for(all_arrived, QUERY_TIMEOUT, "the six requests in the pool", step=0.05)
        during = figures[-1]
        responses = [f.result() for f in futures]
        elapsed = time.monotonic() - started
    # Six requests, four connections: four queries cancelled, two callers gave up waiting.
    assert during["in_use"] == during["max"] == 4, during
    assert during["waiting"] == 2, during
    assert [r.status_code for r in responses] == [503] * 6, [r.text for r in responses]
    messages = {r.json()["error"] for r in responses}
    assert messages <= {
        "the database did not answer in time",
        "the database is unavailable, try again later",
    }
    assert "the database did not answer in time" in messages
    assert elapsed < QUERY_TIMEOUT * 2 + 2
    # The cancelled connections came back usable.
    with ThreadPoolExecutor(8) as pool:
        again = list(pool.map(lambda _: get_post(server, me, post_id), range(16)))
    assert [r.status_code for r in again] == [200] * 16
    figures = debug_vars(server)["database"]
    assert figures["in_use"] == 0 and figures["waiting"] == 0, figures


def test_panic_is_a_500_with_the_request_id_and_the_traceback_only_in_the_log(
    server: Api, cluster: Cluster, users: tuple[Account, Account], post_id: int
) -> None:
    cluster.db.fetch("REVOKE EXECUTE ON FUNCTION api.get_post(bigint, bigint) FROM gosocial_app")
    try:
        r = httpx.get(
            f"{server.url}/v1/posts/{post_id}",
            headers={**users[0].headers, "X-Request-ID": "panic-0001"},
            timeout=10,
        )
    finally:
        cluster.db.fetch("GRANT EXECUTE ON FUNCTION api.get_post(bigint, bigint) TO gosocial_app")
    assert r.status_code == 500
    assert r.json() == {"error": "internal error (request id panic-0001)"}
    assert r.headers["X-Request-ID"] == "panic-0001"
    time.sleep(0.2)
    errors = [
        line
        for line in server.log_lines()
        if line.get("request_id") == "panic-0001" and line["level"] == "error"
    ]
    assert len(errors) == 1, errors
    assert "InsufficientPrivilegeError" in errors[0]["traceback"]
    assert get_post(server, users[0], post_id).status_code == 200


def test_request_timeout_is_a_503(
    cluster: Cluster, smtp: tuple[int, Mailbox], mailbox: Mailbox, logs: Path
) -> None:
    env = server_env(cluster, "", smtp, REQUEST_TIMEOUT="1", DB_QUERY_TIMEOUT="5")
    with api(env, logs / "timeout.log") as s, s.client() as client:
        me = make_user(client, mailbox, "faults_timeout")
        r = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=me.headers)
        post = r.json()["data"]["id"]
        with table_locked(cluster.url):
            started = time.monotonic()
            r = get_post(s, me, post)
            elapsed = time.monotonic() - started
        assert r.status_code == 503, r.text
        assert r.json() == {"error": "the request took too long, try again later"}
        assert r.headers["X-Request-ID"]
        assert elapsed < 3
        assert get_post(s, me, post).status_code == 200
        wait_for(lambda: debug_vars(s)["database"]["in_use"] == 0, 5, "the connection back")


def test_sigterm_lets_in_flight_requests_finish(
    cluster: Cluster, smtp: tuple[int, Mailbox], mailbox: Mailbox, logs: Path
) -> None:
    env = server_env(cluster, "", smtp, DB_QUERY_TIMEOUT="10", GRACEFUL_SHUTDOWN_TIMEOUT="10")
    with api(env, logs / "sigterm.log") as s:
        with s.client() as client:
            me = make_user(client, mailbox, "faults_sigterm")
            r = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=me.headers)
            post = r.json()["data"]["id"]
        with ThreadPoolExecutor(3) as pool:
            with table_locked(cluster.url):
                futures = [pool.submit(get_post, s, me, post, 20) for _ in range(3)]
                # The three are waiting on the lock (a connection not yet accepted when the
                # listener closes is refused, which is not what this tests).
                wait_for(lambda: debug_vars(s)["database"]["in_use"] == 3, 10, "three in flight")
                s.terminate()
                time.sleep(1.0)
                assert s.proc.poll() is None  # still finishing
                with pytest.raises(httpx.TransportError):  # no longer accepting
                    httpx.get(f"{s.url}/v1/health", auth=BASIC, timeout=2)
            # The lock is gone: the in-flight requests complete.
            responses = [f.result(timeout=15) for f in futures]
        assert [r.status_code for r in responses] == [200] * 3, [r.text for r in responses]
        assert s.proc.wait(15) == 0
        messages = [line["message"] for line in s.log_lines()]
        assert "database pool and redis client closed" in messages

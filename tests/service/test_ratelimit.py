"""The rate limiter on live servers: a budget shared by workers through Redis, its headers, the
in-process fallback, and client addresses that cannot be spoofed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import testing.postgresql

from tests.helpers import BASIC, Cluster, base_env, own_cluster
from tests.services import Api, api, redis_process

# Minutes on a loaded machine: make test starts these modules first (tests/conftest.py).
pytestmark = pytest.mark.slow

# A window long enough for a burst of 30 on a loaded machine (tests run in parallel).
LIMIT, WINDOW = 20, 15


@pytest.fixture(scope="module")
def cluster(pg_factory: testing.postgresql.PostgresqlFactory) -> Iterator[Cluster]:
    with own_cluster(pg_factory) as c:
        yield c


@pytest.fixture(scope="module")
def shared(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """Two workers, the limiter in the module's own Redis, the contract's default budget."""
    log = tmp_path_factory.mktemp("ratelimit") / "shared.log"
    with redis_process() as redis:
        env = {
            **base_env(cluster.app_url, redis.url),
            "WORKERS": "2",
            "RATE_LIMIT_ENABLED": "true",
            "RATE_LIMIT_REQUESTS": str(LIMIT),
            "RATE_LIMIT_WINDOW": str(WINDOW),
        }
        with api(env, log) as server:
            yield server


@pytest.fixture(scope="module")
def local(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """No Redis (in-process counts), behind a proxy trusted to set X-Forwarded-For."""
    log = tmp_path_factory.mktemp("ratelimit") / "local.log"
    env = {
        **base_env(cluster.app_url, ""),
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_REQUESTS": str(LIMIT),
        "RATE_LIMIT_WINDOW": str(WINDOW),
        "TRUSTED_PROXY_HEADER": "X-Forwarded-For",
    }
    with api(env, log) as server:
        yield server


def fresh_window() -> None:
    """Sleep into the start of the next window (windows are aligned on the epoch)."""
    time.sleep(WINDOW - time.time() % WINDOW + 0.05)


def burst(url: str, n: int, **headers: str) -> list[httpx.Response]:
    """`n` requests, each on a fresh connection (so either worker may accept it)."""
    responses = []
    for _ in range(n):
        rid = uuid.uuid4().hex
        responses.append(
            httpx.get(
                f"{url}/v1/health", auth=BASIC, headers={"X-Request-ID": rid, **headers}, timeout=5
            )
        )
    return responses


def assert_rate_headers(r: httpx.Response, remaining: int) -> None:
    assert r.headers["X-RateLimit-Limit"] == str(LIMIT), r.headers
    assert r.headers["X-RateLimit-Remaining"] == str(remaining), r.headers
    assert 1 <= int(r.headers["X-RateLimit-Reset"]) <= WINDOW, r.headers


def assert_budget(responses: list[httpx.Response]) -> None:
    """The first LIMIT answered, every later one refused with the contract's 429."""
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * LIMIT + [429] * (len(responses) - LIMIT), statuses
    for i, r in enumerate(responses[:LIMIT]):
        assert_rate_headers(r, LIMIT - i - 1)
        assert "Retry-After" not in r.headers
    for r in responses[LIMIT:]:
        assert_rate_headers(r, 0)
        assert r.json() == {"error": "rate limit exceeded"}
        assert r.headers["content-type"].startswith("application/json")
        assert r.headers["X-Request-ID"]
        assert 1 <= int(r.headers["Retry-After"]) <= WINDOW
        assert r.headers["Retry-After"] == r.headers["X-RateLimit-Reset"]


def test_the_21st_request_is_refused_whichever_worker_serves_it(shared: Api) -> None:
    for _attempt in range(3):  # until the kernel has spread the connections over both workers
        fresh_window()
        responses = burst(shared.url, 30)
        assert_budget(responses)
        ids = {r.headers["X-Request-ID"] for r in responses}
        time.sleep(0.3)  # let the access lines reach the log
        pids = {
            line["pid"]
            for line in shared.log_lines()
            if line.get("logger") == "gosocial.access" and line.get("request_id") in ids
        }
        if len(pids) == 2:
            return
    pytest.fail(f"all bursts were served by one worker ({pids}); the sharing is unproven")


def test_probes_are_not_rate_limited(shared: Api) -> None:
    fresh_window()
    burst(shared.url, 30)  # the budget spent
    for path in ("/livez", "/readyz"):
        for _ in range(5):
            assert httpx.get(f"{shared.url}{path}", timeout=5).status_code == 200, path


def test_errors_and_429s_carry_the_rate_headers(shared: Api) -> None:
    fresh_window()
    with shared.client() as client:
        statuses = []
        for i in range(LIMIT + 2):
            if i % 3 == 0:
                r = client.get("/v1/no-such-route")
            elif i % 3 == 1:
                r = client.get("/v1/posts/1")  # no token: 401
            else:
                r = client.post(
                    "/v1/auth/login",
                    content=b"{not json",
                    headers={"Content-Type": "application/json"},
                )
            statuses.append(r.status_code)
            assert_rate_headers(r, max(0, LIMIT - i - 1))
            assert r.headers["X-Request-ID"]
        assert statuses[:LIMIT] == [[404, 401, 400][i % 3] for i in range(LIMIT)], statuses
        assert statuses[LIMIT:] == [429, 429], statuses


def test_a_spoofed_forwarded_for_does_not_reset_the_budget(shared: Api) -> None:
    fresh_window()
    responses = burst(shared.url, LIMIT)
    assert [r.status_code for r in responses] == [200] * LIMIT
    for n in range(5):
        r = httpx.get(
            f"{shared.url}/v1/health",
            auth=BASIC,
            headers={"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"},
            timeout=5,
        )
        assert r.status_code == 429, r.text
        assert r.headers["Retry-After"]


def test_in_process_fallback_without_redis(local: Api) -> None:
    fresh_window()
    client_a = {"X-Forwarded-For": "10.0.0.1"}
    assert_budget(burst(local.url, LIMIT + 5, **client_a))
    # Another client behind the trusted proxy has its own budget; the proxy's own hop counts,
    # not what the client wrote in front of it.
    other = burst(local.url, 3, **{"X-Forwarded-For": "10.0.0.1, 10.0.0.2"})
    assert [r.status_code for r in other] == [200] * 3
    assert_rate_headers(other[-1], LIMIT - 3)
    r = httpx.get(f"{local.url}/v1/debug/vars", auth=BASIC, headers={"X-Forwarded-For": "10.0.0.3"})
    assert r.status_code == 200, r.text
    assert r.json()["rate_limit"] == {"enabled": True, "rejected": 5}
    assert r.json()["cache"]["enabled"] is False

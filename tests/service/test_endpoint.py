"""The route contract's rate-limit promise, over HTTP with the limiter on: the routes declared
exempt (`limited=False`, api/endpoint.py) are never counted and answer once the budget is
spent; a limited route then answers the documented 429 with Retry-After. Which routes are which
is read from the declarations (tests/routes.py), as the middleware reads it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest

from api.endpoint import limited
from tests.helpers import base_env
from tests.routes import Declared, declared
from tests.services import Api, api

LIMIT, WINDOW = 5, 10


@pytest.fixture(scope="module")
def server(app_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One worker counting in its own process (no Redis): a budget of LIMIT per WINDOW."""
    env = {
        **base_env(app_database_url, ""),
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_REQUESTS": str(LIMIT),
        "RATE_LIMIT_WINDOW": str(WINDOW),
    }
    with api(env, tmp_path_factory.mktemp("endpoint") / "api.log") as running:
        yield running


def _call(client: httpx.Client, route: Declared) -> httpx.Response:
    # Any value fills a path parameter: the limiter answers before auth and parsing.
    path = re.sub(r"\{\w+_id\}", "1", route.path)
    return client.request(route.method, re.sub(r"\{\w+\}", "x" * 40, path))


def test_exempt_routes_are_not_counted_and_limited_ones_are(server: Api) -> None:
    exempt = [d for d in declared() if not limited(d.route)]
    counted = [d for d in declared() if limited(d.route)]
    assert exempt and counted
    # A fresh window (they are aligned on the epoch): the start-up's polls counted in theirs.
    time.sleep(WINDOW - time.time() % WINDOW + 0.05)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for route in exempt:  # more than the whole budget, before any counted request
            for _ in range(LIMIT + 1):
                r = _call(client, route)
                assert r.status_code != 429 and "X-RateLimit-Limit" not in r.headers, route.id
        spent = [_call(client, counted[n % len(counted)]) for n in range(LIMIT)]
        assert [r.status_code for r in spent if r.status_code == 429] == [], [
            (r.request.url.path, r.status_code) for r in spent
        ]
        refused = _call(client, counted[0])
        assert refused.status_code == 429, refused.text
        assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW
        assert refused.json() == {"error": "rate limit exceeded"}
        for route in exempt:  # the budget spent, the exempt routes still answer
            r = _call(client, route)
            assert r.status_code in (200, 503) and "X-RateLimit-Limit" not in r.headers, route.id

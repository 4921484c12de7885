"""Operator routes, CORS, request ids, the access log and the production refusal, on a live
server with its own PostgreSQL cluster and redis-server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import testing.postgresql

from api import __version__
from tests.helpers import Account, Cluster, base_env, make_user, own_cluster, smtp_env
from tests.services import ROOT, Api, Mailbox, api, redis_process

OPS = ("operator", "ops-password-0123456789")
ORIGIN = "https://app.example.com"
JWT_SECRET = "jwt-secret-for-ops-tests-0123456789abcdef"


@pytest.fixture(scope="module")
def cluster(pg_factory: testing.postgresql.PostgresqlFactory) -> Iterator[Cluster]:
    with own_cluster(pg_factory) as c:
        yield c


@pytest.fixture(scope="module")
def server(
    cluster: Cluster, smtp: tuple[int, Mailbox], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    log = tmp_path_factory.mktemp("ops") / "api.log"
    with redis_process() as redis:
        env = {
            **base_env(cluster.app_url, redis.url),
            **smtp_env(smtp[0]),
            "BASIC_AUTH_USERNAME": OPS[0],
            "BASIC_AUTH_PASSWORD": OPS[1],
            "CORS_ALLOWED_ORIGIN": ORIGIN,
            "JWT_SECRET": JWT_SECRET,
            "DB_POOL_MAX": "3",
        }
        with api(env, log) as s:
            yield s


@pytest.fixture(scope="module")
def user(server: Api, mailbox: Mailbox) -> Account:
    with server.client() as client:
        return make_user(client, mailbox, "ops_user")


@pytest.fixture
def client(server: Api) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


@pytest.mark.parametrize("path", ["/v1/health", "/v1/debug/vars"])
@pytest.mark.parametrize(
    "auth",
    [None, ("operator", "wrong"), ("admin", "admin"), ("", ""), "Bearer x", "Basic %%%"],
    ids=["none", "wrong-password", "defaults", "empty", "bearer", "garbage"],
)
def test_ops_routes_need_basic_auth(client: httpx.Client, path: str, auth: object) -> None:
    if isinstance(auth, str):
        r = client.get(path, headers={"Authorization": auth})
    else:
        r = client.get(path, auth=auth)
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert r.json() == {"error": "invalid credentials"}


def test_health(client: httpx.Client) -> None:
    r = client.get("/v1/health", auth=OPS)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "data": {
            "status": "ok",
            "env": "development",
            "version": __version__,
            "database": "ok",
            "cache": "ok",
        }
    }


def test_probes_are_public(client: httpx.Client) -> None:
    live = client.get("/livez")
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "cache": "ok"}


def test_debug_vars(client: httpx.Client, user: Account) -> None:
    client.get("/v1/health")  # a 4xx for the counters
    for _ in range(2):  # a miss then a hit, or two hits
        assert client.get(f"/v1/users/{user.id}", headers=user.headers).status_code == 200
    first = client.get("/v1/debug/vars", auth=OPS)
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {
        "version",
        "uptime_seconds",
        "tasks",
        "database",
        "reads",
        "cache",
        "rate_limit",
        "requests",
    }
    # Without DATABASE_READ_URL every read is the primary's, and not counted as a fallback.
    assert body["reads"] == {"replicas": False, "on_replica": 0, "on_primary": 0}
    assert body["version"] == __version__
    assert isinstance(body["tasks"], int) and body["tasks"] >= 1
    assert body["uptime_seconds"] > 0
    db = body["database"]
    assert set(db) == {"size", "idle", "in_use", "min", "max", "waiting"}
    assert db["max"] == 3 and db["waiting"] == 0 and db["in_use"] == 0
    assert db["size"] == db["idle"] + db["in_use"] and 1 <= db["size"] <= 3
    cache = body["cache"]
    assert cache["enabled"] is True and cache["errors"] == 0
    assert cache["hits"] >= 1 and cache["hits"] + cache["misses"] >= 2
    assert body["rate_limit"] == {"enabled": False, "rejected": 0}
    assert body["requests"]["2xx"] >= 4 and body["requests"]["4xx"] >= 1
    assert set(body["requests"]) <= {"1xx", "2xx", "3xx", "4xx", "5xx"}

    assert client.get(f"/v1/users/{user.id}", headers=user.headers).status_code == 200
    time.sleep(0.05)
    second = client.get("/v1/debug/vars", auth=OPS).json()
    assert second["cache"]["hits"] == cache["hits"] + 1
    assert second["requests"]["2xx"] == body["requests"]["2xx"] + 2
    assert second["uptime_seconds"] > body["uptime_seconds"]


def test_cors_preflight_for_the_allowed_origin_only(client: httpx.Client) -> None:
    preflight = {
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization, content-type, if-match, x-request-id",
    }
    keyed = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
    r = client.options("/v1/posts/1", headers={"Origin": ORIGIN, **preflight})
    assert r.status_code in (200, 204), r.text
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    # The route's own methods, within the configured set.
    methods = {m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
    assert methods == {"GET", "PATCH", "DELETE", "OPTIONS"}, methods
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "x-request-id"} <= allowed
    r = client.options("/v1/posts", headers={"Origin": ORIGIN, **keyed})
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert "idempotency-key" in allowed, r.headers

    r = client.options("/v1/posts/1", headers={"Origin": "https://evil.example", **preflight})
    assert "Access-Control-Allow-Origin" not in r.headers

    r = client.get("/v1/posts/1", headers={"Origin": ORIGIN})
    assert r.status_code == 401
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "x-ratelimit-limit", "x-ratelimit-remaining"} <= exposed
    assert {"x-ratelimit-reset", "retry-after", "etag", "link", "idempotent-replayed"} <= exposed


def test_request_id_is_echoed_or_generated(client: httpx.Client) -> None:
    r = client.get("/v1/health", headers={"X-Request-ID": "abc-123.DEF:4_5"})
    assert r.headers["X-Request-ID"] == "abc-123.DEF:4_5"
    generated = set()
    for bad in ("has spaces", "x" * 200, "new\\nline", ""):
        r = client.get("/v1/health", headers={"X-Request-ID": bad})
        assert r.headers["X-Request-ID"] not in (bad, "")
        generated.add(r.headers["X-Request-ID"])
    assert len(generated) == 4


def test_one_json_access_line_per_request(server: Api, client: httpx.Client, user: Account) -> None:
    client.get(f"/v1/users/{user.id}", headers={**user.headers, "X-Request-ID": "log-ok-1"})
    client.get("/v1/posts/999999", headers={**user.headers, "X-Request-ID": "log-404-1"})
    client.get("/v1/health", headers={"X-Request-ID": "log-401-1"})
    time.sleep(0.2)
    lines = {
        line["request_id"]: line
        for line in server.log_lines()
        if line.get("logger") == "gosocial.access"
    }
    ok = lines["log-ok-1"]
    assert set(ok) >= {"time", "level", "request_id", "method", "path", "status", "duration_ms"}
    assert (ok["level"], ok["method"], ok["path"], ok["status"]) == (
        "info",
        "GET",
        f"/v1/users/{user.id}",
        200,
    )
    assert ok["user_id"] == user.id
    assert isinstance(ok["duration_ms"], float | int) and ok["duration_ms"] >= 0
    assert (lines["log-404-1"]["status"], lines["log-404-1"]["user_id"]) == (404, user.id)
    assert lines["log-401-1"]["status"] == 401 and "user_id" not in lines["log-401-1"]
    access = [line for line in server.log_lines() if line.get("logger") == "gosocial.access"]
    assert len([a for a in access if a["request_id"] == "log-ok-1"]) == 1


def test_no_secrets_in_the_log(server: Api, client: httpx.Client, mailbox: Mailbox) -> None:
    email, password = "ops_secret@example.com", "my-very-own-password-42"
    r = client.post(
        "/v1/auth/register", json={"username": "ops_secret", "email": email, "password": password}
    )
    assert r.status_code == 201, r.text
    token = mailbox.activation_token(email)
    assert client.put(f"/v1/users/activate/{token}").status_code == 204
    assert client.post("/v1/auth/login", json={"email": email, "password": "wrong-pw-99"}).is_error
    r = client.post("/v1/auth/login", json={"email": email, "password": password})
    pair = r.json()["data"]
    r = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200
    client.get("/v1/posts/1", headers={"Authorization": f"Bearer {pair['access_token']}x"})
    client.get("/v1/health", auth=OPS)
    time.sleep(0.2)
    text = server.log_text()
    assert "/v1/users/activate/[redacted]" in text
    for secret in (
        password,
        "wrong-pw-99",
        token,
        pair["access_token"],
        pair["refresh_token"],
        r.json()["data"]["refresh_token"],
        JWT_SECRET,
        OPS[1],
        "$2b$",
    ):
        assert secret not in text, secret


def _run_api(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    keys = ("ENV", "JWT_SECRET", "BASIC_AUTH_USERNAME", "BASIC_AUTH_PASSWORD", "MAILER")
    clean = {k: v for k, v in os.environ.items() if k not in keys}
    return subprocess.run(
        [sys.executable, "-m", "api"],
        cwd=ROOT,
        env={**clean, "PORT": "1", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_production_refuses_development_credentials() -> None:
    proc = _run_api({"ENV": "production", "MAILER": "smtp", "SMTP_HOST": "127.0.0.1"})
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "refusing to start in production" in output
    assert "JWT_SECRET" in output and "BASIC_AUTH_USERNAME/BASIC_AUTH_PASSWORD" in output
    assert "Traceback" not in output

    short_secret, smtp_password = "short-jwt-secret-value", "smtp-password-value-77"
    proc = _run_api(
        {
            "ENV": "production",
            "JWT_SECRET": short_secret,
            "BASIC_AUTH_USERNAME": "admin",
            "BASIC_AUTH_PASSWORD": "admin",
            "MAILER": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PASSWORD": smtp_password,
        }
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "JWT_SECRET must be set" in output and "must not be admin/admin" in output
    assert short_secret not in output and smtp_password not in output


def test_production_starts_with_real_credentials_and_no_access_log(
    cluster: Cluster, smtp: tuple[int, Mailbox], tmp_path: Path
) -> None:
    env = {
        **base_env(cluster.app_url, ""),
        **smtp_env(smtp[0]),
        "ENV": "production",
        "JWT_SECRET": JWT_SECRET,
        "BASIC_AUTH_USERNAME": OPS[0],
        "BASIC_AUTH_PASSWORD": OPS[1],
        "ACCESS_LOG": "false",
    }
    with api(env, tmp_path / "api.log") as s, s.client() as client:
        r = client.get("/v1/health", auth=OPS)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["env"] == "production"
        assert r.json()["data"]["cache"] == "disabled"
        time.sleep(0.2)
        assert not [line for line in s.log_lines() if line.get("logger") == "gosocial.access"]

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis
import testing.postgresql

from tests import leakcheck
from tests.services import Mailbox, api, postgresql_factory, redis_process, smtp_server

APP_PASSWORD = "app-password"  # the least-privilege login role the service connects as


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    leakcheck.run_last(items)  # the grep of the logs for the run's secrets comes last


@pytest.fixture(scope="session")
def pg_factory() -> Iterator[testing.postgresql.PostgresqlFactory]:
    factory = postgresql_factory()
    yield factory
    factory.clear_cache()


@pytest.fixture(scope="session")
def postgresql(
    pg_factory: testing.postgresql.PostgresqlFactory,
) -> Iterator[testing.postgresql.Postgresql]:
    """One deployed cluster for the session; tests keep to their own rows or roll back."""
    pg = pg_factory()
    yield pg
    pg.stop()


class Database:
    """Superuser access for assertions about what the service stored."""

    def __init__(self, url: str) -> None:
        self.url = url

    def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async def run() -> list[asyncpg.Record]:
            conn = await asyncpg.connect(self.url)
            try:
                return await conn.fetch(sql, *args)
            finally:
                await conn.close()

        return asyncio.run(run())

    def fetchval(self, sql: str, *args: Any) -> Any:
        rows = self.fetch(sql, *args)
        return rows[0][0] if rows else None


@pytest.fixture(scope="session")
def db(postgresql: testing.postgresql.Postgresql) -> Database:
    return Database(postgresql.url())


@pytest.fixture(scope="session")
def app_database_url(postgresql: testing.postgresql.Postgresql, db: Database) -> str:
    """A login role with only gosocial_app's rights: the service runs as it does in production."""
    db.fetch(f"CREATE ROLE gosocial LOGIN PASSWORD '{APP_PASSWORD}' IN ROLE gosocial_app")
    dsn = postgresql.dsn()
    return f"postgresql://gosocial:{APP_PASSWORD}@{dsn['host']}:{dsn['port']}/{dsn['database']}"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_process() as redis:
        yield redis.url


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        yield port, mailbox


@pytest.fixture(scope="session")
def mailbox(smtp: tuple[int, Mailbox]) -> Mailbox:
    return smtp[1]


@pytest.fixture(scope="session")
def service_env(app_database_url: str, redis_url: str, smtp: tuple[int, Mailbox]) -> dict[str, str]:
    """The environment of a test server: real PostgreSQL, Redis and SMTP; cheap bcrypt."""
    return {
        "DATABASE_URL": app_database_url,
        "REDIS_URL": redis_url,
        "MAILER": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp[0]),
        "SMTP_STARTTLS": "false",
        "MAIL_BACKOFF": "0.01",
        "BCRYPT_COST": "4",
        "RATE_LIMIT_ENABLED": "false",
        "INVITATION_SWEEP_INTERVAL": "0.5",
        "JWT_SECRET": "test-secret-0123456789-0123456789-abcdef",
    }


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs") / "api.log"


@pytest.fixture(scope="session")
def base_url(service_env: dict[str, str], server_log: Path) -> Iterator[str]:
    with api(service_env, server_log) as server:
        yield server.url


def assert_error_shape(body: object) -> None:
    """`{"error": str}` or `{"error": str, "details": [{"field": str, "message": str}, ...]}`."""
    assert isinstance(body, dict), body
    assert set(body) in ({"error"}, {"error", "details"}), body
    assert isinstance(body["error"], str) and body["error"], body
    if "details" in body:
        assert isinstance(body["details"], list) and body["details"], body
        for item in body["details"]:
            assert isinstance(item, dict) and set(item) == {"field", "message"}, body
            assert isinstance(item["field"], str) and isinstance(item["message"], str), body


def assert_error(response: httpx.Response, status: int, field: str | None = None) -> dict:
    """The response is an error of `status` in the contract's shape (naming `field`, if given)."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert_error_shape(body)
    if field is not None:
        fields = [d["field"] for d in body.get("details", [])]
        assert field in fields, body
    return body


def _check_response(response: httpx.Response) -> None:
    """Every response carries X-Request-ID; every error body has the contract's shape."""
    assert response.headers.get("x-request-id"), (response.request.url, response.status_code)
    leakcheck.watch(response)  # passwords and tokens, for the final grep of the logs
    if response.status_code >= 400:
        response.read()
        assert_error_shape(response.json())


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=base_url, timeout=30, event_hooks={"response": [_check_response]}
    ) as c:
        yield c


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A synchronous client of the service's Redis, for looking at the cache."""
    r = redis.Redis.from_url(redis_url)
    try:
        yield r
    finally:
        r.close()


@dataclass
class Account:
    id: int
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


_names = itertools.count(1)


@pytest.fixture
def make_account(client: httpx.Client, mailbox: Mailbox, db: Database):
    """Register, activate through the mailed link, log in; optionally promote."""

    def make(role: str | None = None, prefix: str = "user") -> Account:
        n = next(_names)
        username, email, password = (
            f"{prefix}{n}_{id(client)}",
            f"{prefix}{n}.{id(client)}@example.com",
            "correct horse",
        )
        r = client.post(
            "/v1/auth/register", json={"username": username, "email": email, "password": password}
        )
        assert r.status_code == 201, r.text
        user_id = r.json()["data"]["id"]
        assert (
            client.put(f"/v1/users/activate/{mailbox.activation_token(email)}").status_code == 204
        )
        if role:
            db.fetch("SELECT api.set_user_role($1, $2)", user_id, role)
        r = client.post("/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        tokens = r.json()["data"]
        return Account(
            user_id, username, email, password, tokens["access_token"], tokens["refresh_token"]
        )

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_post(
    client: httpx.Client, account: Account, title: str = "a title", **fields: Any
) -> dict:
    body = {"title": title, "content": fields.pop("content", f"content of {title}"), **fields}
    r = client.post("/v1/posts", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def access_claims(user_id: int, **override: object) -> dict[str, object]:
    """The claims of a valid access token; an override of None drops that claim."""
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": str(user_id),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "iss": "gosocial",
        "aud": "gosocial",
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    claims.update(override)
    return {k: v for k, v in claims.items() if v is not None}


POST_KEYS = {
    "id",
    "user_id",
    "title",
    "content",
    "tags",
    "version",
    "created_at",
    "updated_at",
    "comments_count",
    "user",
}

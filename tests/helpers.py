"""What tests share besides fixtures: accounts, assertions on the contract's shapes, superuser
access to the database, private clusters and server environments."""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import testing.postgresql

from stack.database import create_login
from tests import leakcheck
from tests.services import ROOT, Mailbox, server

APP_PASSWORD = "app-password"  # the least-privilege login role the service connects as
BASIC = ("admin", "admin")  # the ops routes' credentials outside production


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


PGTAP_FILES = sorted((ROOT / "db" / "tests").glob("*.sql"))


def pg_prove(dsn: dict[str, Any], database: str, files: list[Path]) -> str | None:
    """Run pgTAP files with pg_prove; None when all pass, else what explains the failure
    (failing assertions and their '#' diagnostics)."""
    server = ["-h", str(dsn["host"]), "-p", str(dsn["port"]), "-U", str(dsn["user"])]
    proc = subprocess.run(
        ["pg_prove", "--verbose", "--failures", *server, "-d", database, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode == 0:
        return None
    lines = (proc.stdout + proc.stderr).splitlines()
    failing = [line for line in lines if line.startswith(("not ok", "#", "psql:", "ERROR"))]
    return "\n".join(failing or lines)


def psql(dsn: dict[str, object], sql: str, database: str = "postgres") -> str:
    """Run `sql` with psql as the superuser of `dsn` (for what asyncpg cannot: CREATE DATABASE
    outside a transaction, another database); its unaligned output."""
    return subprocess.run(
        [
            "psql",
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(dsn["host"]),
            "-p",
            str(dsn["port"]),
            "-U",
            str(dsn["user"]),
            "-d",
            database,
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def app_login(pg: testing.postgresql.Postgresql, role: str = "gosocial") -> str:
    """`role`, a login with only gosocial_app's rights (the service runs as one in production),
    as stack.database makes it; its URL."""
    database = str(pg.dsn()["database"])
    create_login(server(pg), database, login=role, password=APP_PASSWORD)
    return server(pg).login_url(database, role, APP_PASSWORD)


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


def check_response(response: httpx.Response) -> None:
    """Every response carries X-Request-ID; every JSON body is compact with the contract's
    times; every error body has the contract's shape."""
    assert response.headers.get("x-request-id"), (response.request.url, response.status_code)
    leakcheck.watch(response)  # passwords and tokens, for the final grep of the logs
    if response.headers.get("content-type", "").startswith("application/json"):
        response.read()
        assert_contract_json(response)
    if response.status_code >= 400:
        response.read()
        assert_error_shape(response.json())


# The contract's times (docs/api.md): RFC 3339 in UTC with exactly six fractional digits
# (Python 3.10's fromisoformat takes 3 or 6). LOOKS_LIKE_TIME catches a time under any key but
# the free text users write.
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
LOOKS_LIKE_TIME = re.compile(r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d")
FREE_TEXT = {"title", "content", "tags", "username", "reason"}


def assert_contract_json(response: httpx.Response) -> list[str]:
    """The body is compact JSON (byte for byte what a compact encoder writes, key order kept)
    and every time in it is in the contract's form; answers the times found."""
    where = f"{response.request.method} {response.request.url.path} {response.status_code}"
    body = response.content
    assert body == orjson.dumps(orjson.loads(body)), f"{where}: not compact: {body[:300]!r}"
    times: list[str] = []

    def walk(value: object, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str) and (
            key.endswith("_at") or (key not in FREE_TEXT and LOOKS_LIKE_TIME.match(value))
        ):
            assert TIME.match(value), f"{where}: {key}={value!r} is not the contract's time"
            times.append(value)
        elif value is not None:  # null: a moment still to come (a report's closed_at)
            assert not key.endswith("_at"), f"{where}: {key}={value!r} is not a time string"

    walk(orjson.loads(body))
    return times


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


def signup(
    client: httpx.Client,
    mailbox: Mailbox,
    username: str,
    email: str,
    password: str,
    activated: Callable[[int], object] | None = None,
) -> Account:
    """Register through the API, activate through the mailed link, (call `activated` with the
    new id, e.g. to promote), log in."""
    r = client.post(
        "/v1/auth/register", json={"username": username, "email": email, "password": password}
    )
    assert r.status_code == 201, r.text
    user_id = r.json()["data"]["id"]
    r = client.put(f"/v1/users/activate/{mailbox.activation_token(email)}")
    assert r.status_code == 204, r.text
    if activated:
        activated(user_id)
    r = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    tokens = r.json()["data"]
    return Account(
        user_id, username, email, password, tokens["access_token"], tokens["refresh_token"]
    )


def make_user(client: httpx.Client, mailbox: Mailbox, name: str) -> Account:
    return signup(client, mailbox, name, f"{name}@example.com", f"pw-{name}-secret")


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


def _post_keys() -> frozenset[str]:
    """A post's keys as documented: the fields of api/schemas.py's Post, so that a field added
    there and in SQL needs no list here; the HTTP tests check the service's JSON has exactly
    these."""
    from api.schemas import Post  # here, not at the top: this block is the post's keys only

    return frozenset(field.alias or name for name, field in Post.model_fields.items())


POST_KEYS = _post_keys()


@dataclass
class Cluster:
    """A private copy of the deployed cluster; `stop()`/`start()` keep its data and port."""

    pg: testing.postgresql.Postgresql
    app_url: str  # the service's login (see app_login)

    @property
    def url(self) -> str:  # superuser
        return self.pg.url()

    @property
    def db(self) -> Database:
        return Database(self.url)

    def stop(self) -> None:
        self.pg.terminate()  # fast shutdown (SIGINT); the data directory stays

    def start(self) -> None:
        self.pg.start()


@contextlib.contextmanager
def own_cluster(factory: testing.postgresql.PostgresqlFactory) -> Iterator[Cluster]:
    pg = factory()
    try:
        yield Cluster(pg, app_login(pg))
    finally:
        pg.stop()


def base_env(database_url: str, redis_url: str) -> dict[str, str]:
    """What every test server runs with: console mail, cheap bcrypt, no rate limit."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAILER": "console",
        "BCRYPT_COST": "4",
        "JWT_SECRET": "test-secret-0123456789-0123456789-abcdef",
        "RATE_LIMIT_ENABLED": "false",
    }


def smtp_env(smtp_port: int) -> dict[str, str]:
    """Mail through a test SMTP server (tests.services.Mailbox); retries without long pauses."""
    return {
        "MAILER": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "MAIL_BACKOFF": "0.01",
    }


@contextlib.contextmanager
def table_locked(url: str, table: str = "social.posts") -> Iterator[None]:
    """Hold ACCESS EXCLUSIVE on `table` in a superuser transaction: its reads and writes block."""
    locked, release, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    async def hold() -> None:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            async with conn.transaction():
                await conn.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                locked.set()
                await asyncio.to_thread(release.wait, 30)
        finally:
            await conn.close()

    def run() -> None:
        try:
            asyncio.run(hold())
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            locked.set()
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    assert locked.wait(10) and not errors, errors
    try:
        yield
    finally:
        release.set()
        assert done.wait(10)

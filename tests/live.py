"""Helpers of the fault, ops and rate-limit tests: a private copy of the deployed cluster that
can be stopped and restarted, server environments and users (never the session-wide ones)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import testing.postgresql

APP_PASSWORD = "app-password"
BASIC = ("admin", "admin")


@dataclass
class Cluster:
    """A private copy of the deployed cluster; `stop()`/`start()` keep its data and port."""

    pg: testing.postgresql.Postgresql

    @property
    def url(self) -> str:  # superuser
        return self.pg.url()

    @property
    def app_url(self) -> str:
        dsn = self.pg.dsn()
        return f"postgresql://gosocial:{APP_PASSWORD}@{dsn['host']}:{dsn['port']}/{dsn['database']}"

    def stop(self) -> None:
        self.pg.terminate()  # fast shutdown (SIGINT); the data directory stays

    def start(self) -> None:
        self.pg.start()


@contextlib.contextmanager
def own_cluster(factory: testing.postgresql.PostgresqlFactory) -> Iterator[Cluster]:
    pg = factory()
    try:
        role = f"CREATE ROLE gosocial LOGIN PASSWORD '{APP_PASSWORD}' IN ROLE gosocial_app"
        subprocess.run(
            ["psql", pg.url(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", role],
            check=True,
            capture_output=True,
            timeout=30,
        )
        yield Cluster(pg)
    finally:
        pg.stop()


def base_env(database_url: str, redis_url: str) -> dict[str, str]:
    """A test server's environment: console mail, cheap bcrypt, short timeouts."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "MAILER": "console",
        "BCRYPT_COST": "4",
        "JWT_SECRET": "test-secret-0123456789-0123456789-abcdef",
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "4",
        "DB_QUERY_TIMEOUT": "2",
        "REQUEST_TIMEOUT": "10",
        "RATE_LIMIT_ENABLED": "false",
        "INVITATION_SWEEP_INTERVAL": "300",
    }


@dataclass
class User:
    id: int
    email: str
    password: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def make_user(client: httpx.Client, mailbox, name: str) -> User:  # mailbox: tests.services.Mailbox
    """Register through the API, activate through the mailed link, log in."""
    email, password = f"{name}@example.com", f"pw-{name}-secret"
    r = client.post(
        "/v1/auth/register", json={"username": name, "email": email, "password": password}
    )
    assert r.status_code == 201, r.text
    user_id = r.json()["data"]["id"]
    r = client.put(f"/v1/users/activate/{mailbox.activation_token(email)}")
    assert r.status_code == 204, r.text
    r = client.post("/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return User(user_id, email, password, r.json()["data"]["access_token"])


def smtp_env(smtp_port: int) -> dict[str, str]:
    return {
        "MAILER": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_STARTTLS": "false",
        "MAIL_BACKOFF": "0.01",
    }

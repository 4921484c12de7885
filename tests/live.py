"""Private servers for the fault tests: a PostgreSQL cluster, a redis-server and the API, each
started, stopped and restarted by the test that owns them (never the session-wide ones)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import testing.postgresql

from tests.services import ROOT, free_port

APP_PASSWORD = "app-password"
BASIC = ("admin", "admin")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


class RedisProcess:
    """A redis-server on a fixed port that can be stopped and started again on that port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="gosocial-faults-redis-")
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", self._dir),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: _port_open(self.port), 10, "redis-server")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
            self._proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextlib.contextmanager
def redis_process() -> Iterator[RedisProcess]:
    redis = RedisProcess()
    try:
        redis.start()
        yield redis
    finally:
        redis.close()


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


class Api:
    """`python -m api` as a subprocess of the test, with its log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), **env}
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "api"],
                cwd=ROOT,
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: on a second signal Sanic SIGKILLs its workers' group,
                # which would otherwise be the test runner's.
                start_new_session=True,
            )
        self._terminated = False
        try:
            wait_for(self._ready, 30, f"the API to start (see {log_path})")
        except BaseException:
            self.stop()
            raise

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the API exited with {self.proc.returncode}: {self.log_text()}")
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{self.url}/v1/swagger/openapi.json", timeout=1).status_code == 200
        return False

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 15), **kwargs)

    def terminate(self) -> None:
        self._terminated = True
        self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> int:
        if self.proc.poll() is None:
            if not self._terminated:  # a second SIGTERM would make Sanic kill at once
                self.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_lines(self) -> list[dict]:
        lines = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            with contextlib.suppress(orjson.JSONDecodeError):
                value = orjson.loads(line)
                if isinstance(value, dict):
                    lines.append(value)
        return lines


@contextlib.contextmanager
def api(env: dict[str, str], log_path: Path) -> Iterator[Api]:
    server = Api(env, log_path)
    try:
        yield server
    finally:
        server.stop()


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

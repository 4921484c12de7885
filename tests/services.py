"""The test servers: throwaway PostgreSQL, redis-server, SMTP and the API itself (free ports)."""

from __future__ import annotations

import contextlib
import email
import email.policy
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import testing.postgresql
from aiosmtpd.controller import Controller

from stack import ROOT
from stack.database import Server, deploy
from stack.database import sqitch as stack_sqitch
from stack.local import PG_TOOLS
from stack.processes import free_port, port_open, wait_until

__all__ = ["ROOT", "free_port", "port_open", "wait_until"]  # re-exported for the tests

PG_WRAPPERS = PG_TOOLS


def server(pg: testing.postgresql.Postgresql) -> Server:
    """A throwaway cluster as stack.database sees it (its superuser)."""
    dsn = pg.dsn()
    return Server(f"postgresql://{dsn['user']}@{dsn['host']}:{dsn['port']}")


def sqitch(*args: str, target: str) -> subprocess.CompletedProcess[str]:
    """stack.database.sqitch with the shape test_upgrade and test_sqitch read (`.stdout`)."""
    return subprocess.CompletedProcess(
        ["sqitch", *args, target], 0, stack_sqitch(*args, target=target)
    )


def sqitch_target(dsn: dict[str, object], database: str | None = None) -> str:
    url = f"postgresql://{dsn['user']}@{dsn['host']}:{dsn['port']}"
    return Server(url).sqitch_target(str(database or dsn["database"]))


# Small, fast and crash-unsafe: a throwaway cluster needs no durability.
PG_SETTINGS = {
    "initdb": str(PG_WRAPPERS / "initdb"),
    "postgres": str(PG_WRAPPERS / "postgres"),
    "postgres_args": "-h 127.0.0.1 -F -c logging_collector=off -c fsync=off "
    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
}


def deployed_template() -> Path:
    """A stopped cluster's data directory holding the deployed schema, made once for what
    db/ and sqitch.plan hold now and shared by every test process of the run (and later runs):
    parallel workers copy it instead of each deploying the plan again."""
    sources = [ROOT / "sqitch.plan", *sorted((ROOT / "db").rglob("*.sql"))]
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]
    home = Path(tempfile.gettempdir()) / "gosocial-test-template"
    template = home / digest
    home.mkdir(exist_ok=True)
    home.chmod(0o755)  # the postgres user copies out of it
    with (home / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds it; the others wait
        if not (template / "ready").exists():
            shutil.rmtree(template, ignore_errors=True)  # a build that was cut short
            for old in home.iterdir():  # other versions of the schema, unused for a day
                if old.is_dir() and old.stat().st_mtime < time.time() - 86400:
                    shutil.rmtree(old, ignore_errors=True)
            pg = testing.postgresql.Postgresql(base_dir=str(template), **PG_SETTINGS)
            try:
                # Not verified here: tests/database/test_sqitch.py verifies every change.
                deploy(server(pg), str(pg.dsn()["database"]), verify=False)
            finally:
                pg.stop()
            (template / "ready").touch()
    return template / "data"


def postgresql_factory() -> testing.postgresql.PostgresqlFactory:
    """A factory whose clusters already hold the deployed schema (deployed once, then copied)."""
    return testing.postgresql.PostgresqlFactory(
        copy_data_from=str(deployed_template()), **PG_SETTINGS
    )


class Mailbox:
    """An aiosmtpd handler that keeps every accepted message.

    Recipients whose local part starts with `bounce` get a permanent 550, `flaky` a 451.
    """

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refusals = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith(("bounce", "flaky")):
            self.refusals += 1
            if address.startswith("bounce"):
                return "550 5.1.1 mailbox unavailable"
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted"

    def activation_token(self, to: str, timeout: float = 10) -> str:
        """The token of the newest invitation sent to `to` (waits for it to arrive)."""
        return self.link_tokens(to, "confirm", timeout=timeout)[-1]

    def link_tokens(self, to: str, page: str, count: int = 1, timeout: float = 10) -> list[str]:
        """The tokens of the links to `/{page}/` mailed to `to`, oldest first, once there are at
        least `count` (waits for them to arrive: some mail is sent after the answer)."""
        pattern = re.compile(rf"/{re.escape(page)}/([A-Za-z0-9_-]+)")
        deadline = time.monotonic() + timeout
        while True:
            found = [
                match[1]
                for message in list(self.messages)
                if message["To"] == to
                and (match := pattern.search(message.get_body(("plain",)).get_content()))
            ]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} mails with /{page}/ to {to}")
            time.sleep(0.02)

    def sent_to(self, to: str) -> list[email.message.EmailMessage]:
        return [message for message in list(self.messages) if message["To"] == to]


@contextlib.contextmanager
def smtp_server(handler: object, **options: object) -> Iterator[int]:
    """An aiosmtpd server on a free port with `handler` (and aiosmtpd `options`); yield the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


wait_for = wait_until  # the name the older tests use


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
        wait_until(lambda: port_open(self.port), 10, "redis-server")

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
            wait_until(self._ready, 30, f"the API to start (see {log_path})")
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

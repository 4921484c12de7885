"""Throwaway PostgreSQL and Redis servers for the test suite (real services, free ports)."""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import testing.postgresql
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
PG_WRAPPERS = ROOT / "scripts" / "pg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqitch(*args: str, target: str) -> subprocess.CompletedProcess[str]:
    """Run sqitch from the repository root against `target`; raise with its output on failure."""
    proc = subprocess.run(
        ["sqitch", *args, target], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"sqitch {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def sqitch_target(dsn: dict[str, object], database: str | None = None) -> str:
    return f"db:pg://{dsn['user']}@{dsn['host']}:{dsn['port']}/{database or dsn['database']}"


def _deploy(pg: testing.postgresql.Postgresql) -> None:
    sqitch("deploy", target=sqitch_target(pg.dsn()))


def postgresql_factory() -> testing.postgresql.PostgresqlFactory:
    """A factory whose clusters already hold the deployed schema (deployed once, then copied)."""
    return testing.postgresql.PostgresqlFactory(
        cache_initialized_db=True,
        on_initialized=_deploy,
        initdb=str(PG_WRAPPERS / "initdb"),
        postgres=str(PG_WRAPPERS / "postgres"),
        # Small, fast and crash-unsafe: a throwaway cluster needs no durability.
        postgres_args="-h 127.0.0.1 -F -c logging_collector=off -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
    )


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Start a private redis-server on a free port; yield its URL."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="gosocial-redis-")
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                if message["To"] == to:
                    text = message.get_body(("plain",)).get_content()
                    return re.search(r"/confirm/([A-Za-z0-9_-]+)", text)[1]
            time.sleep(0.02)
        raise AssertionError(f"no invitation for {to}")


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


@contextlib.contextmanager
def api_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Run `python -m api` with `env` on a free port; yield its base URL once it answers."""
    port = free_port()
    full_env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), **env}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api"],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: Sanic's last-resort kill of its workers' group must not
            # reach pytest.
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the API exited with {proc.returncode}: see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/v1/swagger/openapi.json", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start: see {log_path}")
            time.sleep(0.1)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

"""Throwaway PostgreSQL and Redis servers for the test suite (real services, free ports)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import testing.postgresql

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
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", workdir],
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

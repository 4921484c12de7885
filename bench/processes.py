"""The servers a run starts: each in its own process group, served before use, stopped after."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


class Processes:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir  # their working directory and where their logs go
        self.running: list[subprocess.Popen[bytes]] = []

    @contextlib.contextmanager
    def serve(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        port: int,
        *,
        probe: str | None = None,
        workers: int = 0,
    ) -> Iterator[None]:
        """Start a server in its own process group and wait until it serves: its port is open,
        `probe` (an HTTP path) gets an answer below 500, and `workers` Sanic workers said they
        are ready. Stop the whole group afterwards."""
        if port_open(port):
            raise SystemExit(f"port {port} is taken: set the BENCH_*_PORT variables")
        log_path = self.run_dir / f"{name}.log"
        log = log_path.open("wb")
        proc = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            cwd=self.run_dir,  # no stray .env from the work tree
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append(proc)
        try:
            deadline = time.monotonic() + 90
            while not (
                port_open(port)
                and (probe is None or http_status(port, probe) in range(100, 500))
                and log_path.read_bytes().count(b"Worker ready") >= workers
            ):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not start: see {log_path}")
                time.sleep(0.2)
            yield
        finally:
            stop_group(proc)
            self.running.remove(proc)
            log.close()

    def stop_all(self) -> None:
        for proc in list(self.running):
            stop_group(proc)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_status(port: int, path: str) -> int:
    """The status of GET `path` on loopback, or 0 when there is no answer yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = sock.recv(64).decode("latin-1")
    except OSError:
        return 0
    match = re.match(r"HTTP/1\.[01] (\d{3})", head)
    return int(match[1]) if match else 0


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group we started (server and its workers), then SIGKILL."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

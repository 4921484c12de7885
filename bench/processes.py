"""The servers a run starts: each in its own session, served before use, stopped after (on
stack.processes, the helpers every part of the project starts its servers with)."""

from __future__ import annotations

import contextlib
import re
import socket
from collections.abc import Iterator
from pathlib import Path

from stack.processes import Service, port_open, port_taken, wait_until


class Processes:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir  # their working directory and where their logs go
        self.running: list[Service] = []

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
        """Start a server and wait until it serves: its port is open, `probe` (an HTTP path)
        gets an answer below 500, and `workers` Sanic workers said they are ready. Stop its
        whole process group afterwards."""
        if port_taken(port):
            raise SystemExit(f"port {port} ({name}) is taken: set the BENCH_*_PORT variables")
        # cwd: no stray .env from the work tree
        server = Service(name, argv, self.run_dir / f"{name}.log", cwd=self.run_dir, env=env)
        server.start()
        self.running.append(server)

        def serving() -> bool:
            server.check()  # exited: raise with its log's end
            return (
                port_open(port)
                and (probe is None or http_status(port, probe) in range(100, 500))
                and server.log.read_bytes().count(b"Worker ready") >= workers
            )

        try:
            wait_until(serving, 90, f"{name} to serve (see {server.log})", step=0.2)
            yield
        finally:
            server.stop(timeout=20)
            self.running.remove(server)

    def stop_all(self) -> None:
        for server in list(self.running):
            server.stop(timeout=20)


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

"""`make run`'s own PostgreSQL and Redis, under the data directory (`.data/`, or
GOSOCIAL_DATA_DIR): started, checked to be ours, stopped. The benchmark starts its PostgreSQL
the same way (`python3 -m stack.local`).

Each runs in its own session (Ctrl-C in the terminal reaches the supervisor only, which stops
them in order) and logs to a file beside its data: `pg/server.log`, `redis/redis.log`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from stack import ROOT
from stack.database import Server
from stack.processes import (
    PortTaken,
    Service,
    kill,
    pid_alive,
    port_open,
    require_free,
    wait_gone,
    wait_until,
)

PG_TOOLS = Path(__file__).resolve().parent / "pg"  # initdb, postgres, pg_ctl as the postgres user
# A development cluster: trust on 127.0.0.1 and its socket only, no fsync while it is created.
INITDB_OPTIONS = ("-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")


def data_dir() -> Path:
    """Where `make run` keeps its data and its log (the postgres user must be able to enter it)."""
    return Path(os.environ.get("GOSOCIAL_DATA_DIR") or ROOT / ".data").resolve()


def _refused_port(service: Service, port: int, variable: str, what: str) -> Exception:
    """The error for a service that exited at start: PortTaken when it could not bind."""
    if "Address already in use" in service.log_tail(5):
        return PortTaken(port, variable, what)
    return RuntimeError(f"{what} did not start (see {service.log_path}):\n{service.log_tail(5)}")


class Postgres:
    """A PostgreSQL cluster in `base`/data, listening on 127.0.0.1:`port` and in `base`."""

    def __init__(
        self, base: Path, port: int, settings: tuple[str, ...] = (), variable: str = "LOCAL_PG_PORT"
    ) -> None:
        self.base, self.data, self.port = base, base / "data", port
        self.settings, self.variable = settings, variable
        self.service: Service | None = None  # None while a running cluster is reused (not ours)

    @property
    def server(self) -> Server:
        return Server(f"postgresql://postgres@127.0.0.1:{self.port}")

    def exists(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def initdb(self) -> None:
        """Create the cluster: in a side directory renamed when complete, so that an initdb
        interrupted half-way is started again rather than left as a broken cluster."""
        building = self.base / "data.new"
        shutil.rmtree(building, ignore_errors=True)
        self.base.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [str(PG_TOOLS / "initdb"), "-D", str(building), *INITDB_OPTIONS],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{proc.stdout}{proc.stderr}")
        building.rename(self.data)

    def running_port(self) -> int | None:
        """The port of a server already running on this data directory (left by an earlier run
        that was killed), from its postmaster.pid; None when there is none."""
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            lines = (self.data / "postmaster.pid").read_text().splitlines()
            if pid_alive(int(lines[0])):
                return int(lines[3])
        return None

    def _ready(self) -> bool:
        assert self.service is not None
        if not self.service.running():
            raise _refused_port(self.service, self.port, self.variable, "PostgreSQL")
        with contextlib.suppress(FileNotFoundError, IndexError):
            lines = (self.data / "postmaster.pid").read_text().splitlines()
            return int(lines[0]) == self.service.pid and lines[7].strip() == "ready"
        return False

    def start(self, timeout: float = 60) -> None:
        """Start the server, ours until `stop`; refuse a port that something else holds."""
        require_free(self.port, self.variable, "PostgreSQL")
        self.service = Service(
            "postgres",
            [
                *(str(PG_TOOLS / "postgres"), "-D", str(self.data), "-h", "127.0.0.1"),
                *("-p", str(self.port), "-k", str(self.base), *self.settings),
            ],
            self.base / "server.log",
        )
        self.service.start()
        wait_until(self._ready, timeout, f"PostgreSQL to start (see {self.service.log_path})")

    def reuse(self) -> bool:
        """Serve on a server left running on our data directory (its own port); whether one
        was there. It is left running at the end, as it was found."""
        port = self.running_port()
        if port is None:
            return False
        self.port = port
        wait_until(lambda: port_open(port), 30, f"the running PostgreSQL on port {port}")
        return True

    def stop(self, timeout: float = 3) -> None:
        """Fast shutdown (SIGINT: sessions cancelled, a clean checkpoint), SIGKILL after
        `timeout` seconds."""
        if self.service is not None:
            self.service.stop(signal.SIGINT, timeout)


class Redis:
    """A redis-server on 127.0.0.1:`port` without persistence, its log in `base`."""

    def __init__(self, base: Path, port: int, variable: str = "LOCAL_REDIS_PORT") -> None:
        self.base, self.port, self.variable = base, port, variable
        self.service: Service | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        require_free(self.port, self.variable, "Redis")
        self.service = Service(
            "redis",
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.base), "--logfile", ""),
            ],
            self.base / "redis.log",
        )
        self.service.start()
        wait_until(self._ours, timeout, f"redis-server to start (see {self.service.log_path})")

    def _ours(self) -> bool:
        """Whether the Redis answering on the port is the one we started (its INFO's
        process_id): a stranger that took the port meanwhile is never used."""
        assert self.service is not None
        if not self.service.running():
            raise _refused_port(self.service, self.port, self.variable, "Redis")
        return redis_pid(self.port) == self.service.pid

    def stop(self, timeout: float = 3) -> None:
        if self.service is not None:
            self.service.stop(signal.SIGTERM, timeout)


def redis_pid(port: int) -> int | None:
    """The process id the Redis on 127.0.0.1:`port` reports (INFO server), None if none answers."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1) as sock:
        sock.sendall(b"INFO server\r\n")
        reply = b""
        while b"process_id:" not in reply or not reply.endswith(b"\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
        for line in reply.decode(errors="replace").splitlines():
            if line.startswith("process_id:"):
                return int(line.split(":", 1)[1])
    return None


def main(argv: list[str] | None = None) -> int:
    """`python3 -m stack.local start|stop|status BASE`: a cluster in BASE/data for scripts such as
    bench/run.sh. `start` creates it if missing and leaves it running (detached), `stop` makes
    a fast shutdown, `status` answers 0 when it runs."""
    parser = argparse.ArgumentParser(description="a local PostgreSQL cluster in BASE/data")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("base", type=Path, help="its directory (data/ and server.log inside)")
    parser.add_argument("--port", type=int, default=55432)
    parser.add_argument("--variable", default="LOCAL_PG_PORT", help="named when the port is taken")
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])  # after `--`: postgres options, -c name=value ...
    pg = Postgres(args.base.resolve(), args.port, tuple(argv[split + 1 :]), args.variable)
    running = pg.running_port()
    if args.action == "status":
        return 0 if running else 1
    if args.action == "stop":
        with contextlib.suppress(FileNotFoundError, ValueError):
            pid = int((pg.data / "postmaster.pid").read_text().split()[0])
            kill([pid], signal.SIGINT)
            if not wait_gone([pid], 60):
                kill([pid], signal.SIGKILL)
        return 0
    try:
        if running:
            print(f"PostgreSQL already runs on {pg.data} (port {running})", flush=True)
            return 0
        if not pg.exists():
            print(f"creating a PostgreSQL cluster in {pg.data}", flush=True)
            pg.initdb()
        pg.start(timeout=120)
    except (PortTaken, RuntimeError, TimeoutError) as exc:
        print(exc, file=sys.stderr)
        pg.stop()
        return 1
    print(f"PostgreSQL started on {pg.data}: {pg.server.url}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

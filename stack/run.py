"""`python -m stack.run` (`make run`): serve the API over a local PostgreSQL and Redis.

Without DATABASE_URL it starts a PostgreSQL cluster under <data>/pg (created on the first start,
deployed with sqitch and seeded when empty: stack.database.provision); a cluster left running
there by an earlier run is reused and left running. Without REDIS_URL it starts redis-server
under <data>/redis; an empty REDIS_URL runs without Redis. <data> is `.data/` (GOSOCIAL_DATA_DIR).
LOCAL_PG_PORT (55432), LOCAL_REDIS_PORT (56379), PORT (8080) and HOST (127.0.0.1) place them;
a port that something else holds is refused with one line naming the variable to change.

Everything it prints, its own lines and the API's log, goes to the terminal and to
<data>/run.log. The API runs in its own session: the first SIGINT or SIGTERM (Ctrl-C) stops it
(SIGTERM, then SIGKILL to its process group after a few seconds: Sanic's main process can hang
when a stop lands while a worker starts, sanic-org/sanic#2997), then Redis and PostgreSQL
(fast shutdown), whatever moment of the start it lands in.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO

from stack import ROOT
from stack.database import ProvisionError, provision
from stack.local import Postgres, Redis, data_dir
from stack.processes import PortTaken, Service, children, kill, require_free, wait_gone

API_STOP_SECONDS = 3.0  # then SIGKILL: the whole stack is down within 5 s of Ctrl-C
SERVICE_STOP_SECONDS = 1.5


class Stop(BaseException):
    """SIGINT or SIGTERM: raised where the start is, so that nothing waits for it to finish."""


class Output:
    """Lines to the terminal and to the run log, whole lines at a time (the API's relay thread
    writes too)."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("a", buffering=1)
        self._lock = threading.Lock()

    def say(self, text: str = "") -> None:
        with self._lock:
            for stream in (sys.stdout, self._file):
                with contextlib.suppress(OSError, ValueError):
                    stream.write(text + "\n")
                    stream.flush()

    def log_only(self, text: str) -> None:
        with self._lock:
            self._file.write(text + "\n")

    def relay(self, stream: IO[bytes]) -> None:
        for line in iter(stream.readline, b""):
            self.say(line.decode(errors="replace").rstrip("\n"))

    def close(self) -> None:
        with self._lock:
            self._file.close()


def banner(host: str, port: int) -> str:
    base = f"http://{host}:{port}"
    return f"""
  GoSocial API   {base}/v1
  API docs       {base}/v1/swagger/
  Health         {base}/v1/health          (Basic admin/admin in development)
  Debug vars     {base}/v1/debug/vars
  Metrics        {base}/metrics            (Prometheus, Basic auth as well)
  Seeded admin   user1@example.com / password        (every seeded user's password is "password")
  Its log        {data_dir() / "run.log"}

  Ctrl-C stops the API and the services it started.
"""


class Stack:
    def __init__(self, out: Output) -> None:
        self.out = out
        self.data = data_dir()
        self.pg: Postgres | None = None
        self.redis: Redis | None = None
        self.api: Service | None = None
        self.env: dict[str, str] = {}
        self.relay: threading.Thread | None = None

    def start(self) -> None:
        host = os.environ.get("HOST") or "127.0.0.1"
        port = int(os.environ.get("PORT") or 8080)
        pg = None
        if not os.environ.get("DATABASE_URL"):
            pg = Postgres(self.data / "pg", int(os.environ.get("LOCAL_PG_PORT") or 55432))
        redis = None
        if "REDIS_URL" not in os.environ:
            redis = Redis(self.data / "redis", int(os.environ.get("LOCAL_REDIS_PORT") or 56379))
        # Every port first: a refusal comes before anything has started.
        require_free(port, "PORT", "the API")
        if redis is not None:
            require_free(redis.port, redis.variable, "Redis")
        if pg is not None and pg.running_port() is None:
            require_free(pg.port, pg.variable, "PostgreSQL")
        if pg is not None:
            self.start_postgres(pg)
        if redis is not None:
            self.redis = redis
            (redis.base).mkdir(parents=True, exist_ok=True)
            redis.start()
            self.env["REDIS_URL"] = redis.url
            self.out.say(f"Redis: started on {redis.url} (log {redis.base / 'redis.log'})")
        self.out.say(banner(host, port))
        self.api = Service(
            "api",
            [sys.executable, "-m", "api"],
            None,
            cwd=ROOT,
            env={**self.env, "PYTHONUNBUFFERED": "1", "HOST": host, "PORT": str(port)},
        )
        self.api.start()
        assert self.api.proc is not None and self.api.proc.stdout is not None
        self.relay = threading.Thread(
            target=self.out.relay, args=(self.api.proc.stdout,), daemon=True
        )
        self.relay.start()

    def start_postgres(self, pg: Postgres) -> None:
        self.pg = pg
        if pg.reuse():
            self.out.say(f"PostgreSQL: reusing the server already running on {pg.data}")
        else:
            if not pg.exists():
                self.out.say(f"PostgreSQL: creating the cluster in {pg.data} (first start, ~5 s)")
                pg.initdb()
            pg.start()
            self.out.say(f"PostgreSQL: started on 127.0.0.1:{pg.port} (log {pg.base}/server.log)")
        self.env["DATABASE_URL"] = provision(pg.server, seed_with={}, say=self.out.say)

    def serve(self) -> int:
        """Until the API exits (its exit code) or a signal arrives (Stop)."""
        assert self.api is not None and self.api.proc is not None
        return self.api.proc.wait()

    def stop(self) -> None:
        """The API, then Redis and PostgreSQL together; then anything of ours still running
        (a process whose start a signal interrupted: no handle on it, but it is our child)."""
        if self.api is not None:
            self.api.stop(signal.SIGTERM, API_STOP_SECONDS)
            self.api.kill_group()  # workers a SIGKILLed main process left behind
            if self.relay is not None:
                self.relay.join(0.5)  # its last lines
        services = [s for s in (self.redis, self.pg) if s is not None and s.service is not None]
        for stack_service in services:
            assert stack_service.service is not None
            stack_service.service.send(
                signal.SIGINT if isinstance(stack_service, Postgres) else signal.SIGTERM
            )
        deadline = time.monotonic() + SERVICE_STOP_SECONDS
        for stack_service in services:
            assert stack_service.service is not None
            if not stack_service.service.wait(max(0.0, deadline - time.monotonic())):
                stack_service.service.kill_group()
        leftovers = descendants(os.getpid())
        kill(leftovers, signal.SIGKILL)
        wait_gone(leftovers, 2)


def descendants(pid: int) -> list[int]:
    found = []
    todo = children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children(child))
    return found


def main() -> int:
    data = data_dir()
    data.mkdir(parents=True, exist_ok=True)
    out = Output(data / "run.log")
    out.log_only(f"--- make run, {time.strftime('%Y-%m-%d %H:%M:%S')} ---")
    stack = Stack(out)
    state = {"stopping": False}

    def on_signal(signum: int, frame: object) -> None:
        if state["stopping"]:
            return  # already stopping, within a bounded time
        state["stopping"] = True
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 1
    try:
        stack.start()
        code = stack.serve()
        out.say(f"the API exited with {code}")
    except Stop as stop:
        out.say(f"{stop}: stopping")
        code = 0
    except PortTaken as exc:
        out.say(str(exc))
    except (ProvisionError, RuntimeError, TimeoutError, OSError) as exc:
        out.say(f"make run failed: {exc}")
    finally:
        state["stopping"] = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        started = [
            name
            for name, service in (
                ("the API", stack.api),
                ("Redis", stack.redis),
                ("PostgreSQL", stack.pg),
            )
            if service is not None and getattr(service, "service", service) is not None
        ]
        if started:
            out.say(f"stopped {', '.join(started)}")
        out.close()
    return code


if __name__ == "__main__":
    sys.exit(main())

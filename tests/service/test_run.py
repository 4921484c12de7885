"""`make run` (`python -m stack.run`) as a newcomer meets it, with real processes: its own data
directory (GOSOCIAL_DATA_DIR) and free ports.

- Ctrl-C at 20 moments of the start (seeded, so reproducible), from the cluster's creation, the
  sqitch deploy and the seed of the first start to the API's worker start (sanic-org/sanic#2997)
  and after: within 5 s no process it started is left (every process carrying its data directory
  in its environment), PostgreSQL's postmaster.pid names no live process, and every port is free.
- A port held by something that is not ours is refused in one line naming the variable to change.
- Everything it prints, the API's log included, is in <data>/run.log: the mailed confirm link is
  found there, as the README's snippet reads it; a server it finds running on its data directory
  is reused and left running.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stack.processes import free_port, pid_alive, port_taken, wait_until
from tests.services import ROOT, redis_process

# Minutes on a loaded machine: make test starts these modules first (tests/conftest.py).
pytestmark = pytest.mark.slow

STOP_SECONDS = 5
MOMENTS = 20
# Lines of the start, each a moment to press Ctrl-C at (plus a random delay): the first start's
# slow steps first, in order, then the start of a provisioned directory.
FIRST_START = [
    ("PostgreSQL: creating the cluster", 1.0),
    ("deploying the schema with sqitch", 4.0),
    ("seeding the empty database", 4.0),
]
EVERY_START = [
    ("", 1.5),  # from the launch: the interpreter, the port checks, the server's start
    ("PostgreSQL: started", 1.0),  # sqitch checking the schema, the seed check
    ("Redis: started", 1.0),
    ("GoSocial API", 3.0),  # the API's main process starting
    ('"Starting worker', 0.3),  # the worker's start: the window of sanic-org/sanic#2997
    ('"Worker ready', 1.0),  # serving
]
VARIABLES = ("PORT", "LOCAL_PG_PORT", "LOCAL_REDIS_PORT")


@pytest.fixture(scope="module")
def data_dir() -> Iterator[Path]:
    # Under /tmp and open to others: the postgres user enters it (stack/pg/pgtool).
    path = Path(tempfile.mkdtemp(prefix="gosocial-run-"))
    path.chmod(0o755)
    yield path
    subprocess.run([sys.executable, "-m", "stack.local", "stop", str(path / "pg")], check=False)
    shutil.rmtree(path, ignore_errors=True)


class Run:
    """`python -m stack.run` with its output collected line by line."""

    def __init__(self, data: Path, ports: dict[str, int]) -> None:
        self.data, self.ports = data, ports
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        env.update({name: str(port) for name, port in ports.items()})
        env.update(
            GOSOCIAL_DATA_DIR=str(data),
            MAILER="console",
            BCRYPT_COST="4",
            RATE_LIMIT_ENABLED="false",
        )
        self.lines: list[str] = []
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stack.run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_line(self, text: str, timeout: float = 180) -> None:
        def seen() -> bool:
            if any(text in line for line in self.lines):
                return True
            if self.proc.poll() is not None:
                raise AssertionError(f"exited before {text!r}:\n{self.output()}")
            return False

        wait_until(seen, timeout, f"{text!r} in make run's output")

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code


def ours(data: Path) -> list[int]:
    """Every process that carries this data directory in its environment: whatever stack.run
    started, and their children, wherever they were reparented."""
    marker = f"GOSOCIAL_DATA_DIR={data}\0".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if marker in environ.read_bytes() and pid_alive(int(environ.parent.name)):
                found.append(int(environ.parent.name))
    return found


def postmaster_alive(data: Path) -> bool:
    with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
        return pid_alive(int((data / "pg" / "data" / "postmaster.pid").read_text().split()[0]))
    return False


def leftovers(run: Run) -> list[str]:
    found = []
    if run.proc.poll() is None:
        found.append("stack.run itself")
    if pids := ours(run.data):
        found.append(f"processes {pids}")
    if postmaster_alive(run.data):
        found.append("a live postmaster.pid")
    found += [f"{name} {port} taken" for name, port in run.ports.items() if port_taken(port)]
    return found


def start_postgresql(data: Path, port: str) -> None:
    """The data directory's PostgreSQL started as scripts start it, left running."""
    started = subprocess.run(
        [sys.executable, "-m", "stack.local", "start", str(data / "pg"), "--port", port],
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode == 0, started.stdout + started.stderr


def free_ports() -> dict[str, int]:
    return {name: free_port() for name in VARIABLES}


def test_ctrl_c_at_any_moment_of_the_start_stops_everything(data_dir: Path) -> None:
    rng = random.Random(19)
    plan = FIRST_START + [rng.choice(EVERY_START) for _ in range(MOMENTS - len(FIRST_START))]
    report = []
    began = time.monotonic()
    for n, (marker, spread) in enumerate(plan, 1):
        run = Run(data_dir, free_ports())
        try:
            if marker:
                run.wait_line(marker)
            delay = rng.uniform(0, spread)
            time.sleep(delay)
            pressed = time.monotonic()
            run.proc.send_signal(signal.SIGINT)
            deadline = pressed + STOP_SECONDS
            while (left := leftovers(run)) and time.monotonic() < deadline:
                time.sleep(0.05)
            stopped = time.monotonic() - pressed
            assert not left, f"moment {n} ({marker!r} + {delay:.2f} s): {left}\n{run.output()}"
            report.append(
                f"{n:2} {marker or 'launch':34} +{delay:4.2f} s  at {pressed - run.started:5.1f} s"
                f"  all gone in {stopped:.2f} s"
            )
        finally:
            if run.proc.poll() is None:
                run.proc.kill()
            run.finish()
    print("\n".join([*report, f"{len(plan)} moments in {time.monotonic() - began:.0f} s"]))


@pytest.mark.parametrize("variable", VARIABLES)
def test_a_port_held_by_a_stranger_is_refused_in_one_line(data_dir: Path, variable: str) -> None:
    ports = free_ports()
    with contextlib.ExitStack() as stack:
        if variable == "LOCAL_REDIS_PORT":  # the case: a stranger's Redis answers there
            ports[variable] = stack.enter_context(redis_process()).port
        else:
            stranger = stack.enter_context(socket.socket())
            stranger.bind(("127.0.0.1", ports[variable]))
            stranger.listen()
        run = Run(data_dir, ports)
        assert run.finish() == 1
        assert run.lines == [
            f"port {ports[variable]} "
            f"({ {'PORT': 'the API', 'LOCAL_PG_PORT': 'PostgreSQL'}.get(variable, 'Redis') }) "
            f"is taken by another program: set {variable}=<port>"
        ]
    assert not ours(data_dir)


def test_the_api_alone_refuses_a_taken_port_in_one_line() -> None:
    with socket.socket() as stranger:
        stranger.bind(("127.0.0.1", 0))
        stranger.listen()
        port = stranger.getsockname()[1]
        env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "REDIS_URL": ""}
        proc = subprocess.run(
            [sys.executable, "-m", "api"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"port {port} (the API) is taken by another program: set PORT=<port>"
    ]


def test_the_run_log_holds_the_confirm_link_and_a_running_server_is_reused(
    data_dir: Path,
) -> None:
    """The README's snippet, as pasted: register, grep the link from .data/run.log, activate.
    PostgreSQL is already running on the data directory (a run killed before it stopped it):
    used, and left running."""
    ports = free_ports()
    pg_port = str(ports["LOCAL_PG_PORT"])
    start_postgresql(data_dir, pg_port)
    ports["LOCAL_PG_PORT"] = free_port()  # not where it runs: its own port is found and used
    run = Run(data_dir, ports)
    try:
        run.wait_line('"Worker ready')
        assert any("reusing the server already running" in line for line in run.lines)
        base = f"http://127.0.0.1:{ports['PORT']}"
        email = f"newbie{os.getpid()}@example.com"
        r = httpx.post(
            f"{base}/v1/auth/register",
            json={"username": f"newbie{os.getpid()}", "email": email, "password": "correct horse"},
            timeout=30,
        )
        assert r.status_code == 201, r.text

        def token() -> str | None:
            text = (data_dir / "run.log").read_text()
            found = re.findall(r"confirm/([A-Za-z0-9_-]+)", text)  # the README's grep
            return found[-1] if email in text and found else None

        wait_until(lambda: token() is not None, 10, "the confirm link in run.log")
        r = httpx.put(f"{base}/v1/users/activate/{token()}", timeout=30)
        assert r.status_code == 204, r.text
    finally:
        run.proc.send_signal(signal.SIGINT)
        assert run.finish(10) == 0
    assert not ours(data_dir)
    assert postmaster_alive(data_dir)  # left running, as it was found
    subprocess.run([sys.executable, "-m", "stack.local", "stop", str(data_dir / "pg")], check=True)
    assert not postmaster_alive(data_dir)


def test_clean_data_says_what_it_stops_then_removes_the_directory() -> None:
    """`make clean-data` with PostgreSQL and a supervisor-like holder of a log still running
    there: both are named, stopped (PostgreSQL by a fast shutdown), and the directory goes."""
    data = Path(tempfile.mkdtemp(prefix="gosocial-clean-"))
    data.chmod(0o755)
    try:
        port = str(free_port())
        start_postgresql(data, port)
        with (data / "run.log").open("a") as log:
            holder = subprocess.Popen(["sleep", "600"], stdout=log)
        postmaster = int((data / "pg" / "data" / "postmaster.pid").read_text().split()[0])
        proc = subprocess.run(
            [sys.executable, "-m", "stack.clean", str(data)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"{postmaster} " in proc.stdout and "fast shutdown" in proc.stdout, proc.stdout
        assert f"{holder.pid} sleep 600" in proc.stdout, proc.stdout
        assert f"removed {data} (" in proc.stdout
        assert not data.exists()
        assert holder.wait(5) == -signal.SIGTERM
        assert not pid_alive(postmaster)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def test_the_api_alone_stops_on_ctrl_c_while_its_worker_starts(app_database_url: str) -> None:
    """`python -m api` in a terminal: Ctrl-C (SIGINT to its whole process group) within 0.3 s of
    "Starting worker" hung Sanic's main process (sanic-org/sanic#2997) and printed a worker's
    KeyboardInterrupt traceback. Now it stops, quietly."""
    rng = random.Random(2997)
    for _ in range(5):
        env = {
            **os.environ,
            "DATABASE_URL": app_database_url,
            "REDIS_URL": "",
            "PORT": str(free_port()),
            "HOST": "127.0.0.1",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "api"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert proc.stdout is not None
        out = b""
        while b"Starting worker" not in out:
            chunk = proc.stdout.read1(65536)
            assert chunk, out.decode()
            out += chunk
        time.sleep(rng.uniform(0, 0.3))
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise AssertionError(f"still running {STOP_SECONDS} s after Ctrl-C") from None
        finally:
            out += proc.stdout.read()
        assert b"Traceback" not in out, out.decode()
        pgid = proc.pid
        wait_until(lambda: not group_alive(pgid), 2, "its workers and helpers to exit")  # noqa: B023


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True

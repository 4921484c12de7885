"""Processes and ports: what every caller that starts a server needs (standard library only)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

SERVICE_USER = "postgres"  # PostgreSQL (and Patroni) refuse root: they run as this user


class PortTaken(RuntimeError):
    """A port we were to listen on is held by something that is not ours."""

    def __init__(self, port: int, variable: str, what: str) -> None:
        super().__init__(f"port {port} ({what}) is taken by another program: set {variable}=<port>")
        self.port, self.variable = port, variable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:`port`."""
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def port_taken(port: int) -> bool:
    """Whether a server could not bind 127.0.0.1:`port` now (a listener or a client socket)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def require_free(port: int, variable: str, what: str) -> None:
    """Refuse, naming the port and the variable that moves it, when `port` is taken."""
    if port_taken(port):
        raise PortTaken(port, variable, what)


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, step: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(step)


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, which an orphan becomes when nobody reaps it, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """The direct children of `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def kill(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def as_service_user(argv: list[str]) -> list[str]:
    """`argv` run as the postgres user when we are root (setpriv passes signals on; runuser
    does not, and a fast shutdown then hangs)."""
    if os.getuid() != 0:
        return argv
    return ["setpriv", f"--reuid={SERVICE_USER}", f"--regid={SERVICE_USER}", "--init-groups", *argv]


def chown_tree(path: Path, user: str = SERVICE_USER) -> None:
    """Hand `path` and everything under it to `user` (when we are root)."""
    if os.getuid() == 0:
        subprocess.run(["chown", "-R", f"{user}:{user}", str(path)], check=True)


@dataclass
class Service:
    """One long-running process in its own session, logging to a file (or, without one, to a
    pipe, `proc.stdout`, for the caller to read); stopped by signal, then by SIGKILL to its
    whole process group."""

    name: str
    argv: list[str]
    log_path: Path | None
    service_user: bool = False  # run as the postgres user (when we are root)
    cwd: Path | None = None  # default: the log's directory
    env: dict[str, str] = field(default_factory=dict)  # on top of ours
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PATRONI_", "PG"))}
        self.proc = subprocess.Popen(
            as_service_user(self.argv) if self.service_user else self.argv,
            cwd=self.cwd or (self.log_path.parent if self.log_path else None),
            stdin=subprocess.DEVNULL,
            stdout=self._log or subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches us only; we stop them in order
            env={**inherited, **self.env},
        )

    @property
    def log(self) -> Path:
        """Its log file (one started with `log_path=None` has none: its output is a pipe)."""
        if self.log_path is None:
            raise RuntimeError(f"{self.name} writes to a pipe, not a log file")
        return self.log_path

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check(self) -> None:
        """Raise, with the end of its log, when it has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
            )

    def send(self, sig: signal.Signals) -> None:
        if self.running() and self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    def wait(self, timeout: float) -> bool:
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        self._close_log()
        return True

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
        """`sig`, then SIGKILL after `timeout` seconds (to its whole process group: its session,
        which it leads, e.g. an API instance's workers)."""
        self.send(sig)
        if not self.wait(timeout):
            self.kill_group()

    def kill_group(self) -> None:
        """SIGKILL to its process group, and reap it."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.wait(10)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None:
            return "(its output is a pipe)"
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

"""`python -m api`: serve GoSocial with the configuration from the environment (and `.env`)."""

from __future__ import annotations

import errno
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from functools import partial
from pathlib import Path

from sanic import Sanic
from sanic.log import logger
from sanic.worker.loader import AppLoader
from sanic.worker.manager import WorkerManager

from api.edge import EdgeProtocol
from api.logs import configure_logging, in_worker
from api.settings import ConfigError, Settings

METRICS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


def main() -> None:
    configure_logging()
    try:
        settings = Settings()
        settings.check_production()
    except ConfigError as exc:
        sys.exit(str(exc))
    made = prepare_metrics_directory()
    # api.app is imported (by the factory) once the directory exists: prometheus-client places
    # its metrics' storage at import, by PROMETHEUS_MULTIPROC_DIR (api/metrics.py).
    refuse_a_taken_port(settings.host, settings.port)
    loader = AppLoader(factory=partial(in_worker, _worker_app, settings))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        motd=False,
        single_process=False,
        protocol=EdgeProtocol,  # deadlines, connection caps, strict heads
    )
    # Sanic first starts a state manager process, which keeps an ignored signal across its exec:
    # a SIGTERM to the whole process group (systemd's default, `kill -TERM -<pgid>`) killed it,
    # and the main process then failed with a traceback. Sanic installs its own SIGTERM handler
    # in the main process right after, and the workers theirs (api/app.py).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    WorkerManager.shutdown_signal = _stop_from_the_monitor_loop  # type: ignore[method-assign]
    WorkerManager.wait_for_ack = _wait_for_ack_unless_stopped  # type: ignore[method-assign]
    try:
        Sanic.serve(primary=app, app_loader=loader)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


_sanic_shutdown_signal = WorkerManager.shutdown_signal


def _stop_from_the_monitor_loop(manager: WorkerManager, signum: int, frame: object) -> None:
    """The main process's stop signal, handled by Sanic's monitor loop rather than in the handler.

    Sanic's handler terminates the workers from inside the signal handler, which writes their
    state through the state manager's connection; when the signal lands while the monitor loop
    is reading that same connection (it syncs the workers' states every 0.1 s), the loop reads a
    torn reply and the main process dies with `UnpicklingError: invalid load key` (seen in
    test_shutdown on CI). "__TERMINATE__" makes the loop do the same shutdown itself.
    A second signal keeps Sanic's meaning (kill the workers), for a stop stuck in startup.
    """
    if getattr(manager, "_stop_requested", False):
        _sanic_shutdown_signal(manager, signum, frame)
        return
    manager._stop_requested = True  # type: ignore[attr-defined]
    logger.info("Received signal %s. Shutting down.", signal.Signals(signum).name)
    manager.monitor_publisher.send("__TERMINATE__")


class _StopWhileStarting(Exception):
    pass


_sanic_wait_for_ack = WorkerManager.wait_for_ack


def _wait_for_ack_unless_stopped(manager: WorkerManager) -> None:
    """Sanic's wait for every worker's "ready", ended by a stop signal.

    Sanic's loop puts every message it reads there back on the pipe, but an early termination,
    and reads it again: a stop that lands while a worker starts (Ctrl-C also kills the starting
    worker, which then never acks) left the main process spinning at full CPU, deaf to any
    further signal (sanic-org/sanic#2997). The stop is put back for the monitor loop, which
    shuts the workers down, and the wait ends.
    """
    subscriber = manager.monitor_subscriber

    class Watched:
        def poll(self, timeout: float) -> bool:
            return subscriber.poll(timeout)

        def recv(self) -> object:
            message = subscriber.recv()
            if message is None or message == "__TERMINATE__":
                manager.monitor_publisher.send(message)
                raise _StopWhileStarting
            return message

    manager.monitor_subscriber = Watched()  # type: ignore[assignment]
    try:
        _sanic_wait_for_ack(manager)
    except _StopWhileStarting:
        logger.info("Stopped while the workers were starting")
    finally:
        manager.monitor_subscriber = subscriber


def _worker_app(settings: Settings) -> Sanic:
    """The worker's app. Until Sanic takes SIGINT over (once the worker has started), SIGINT
    ends the worker at once and quietly: Sanic's main process stops a worker with SIGINT, and
    the terminal's Ctrl-C reaches every process of its group; a worker still starting died of
    it with a KeyboardInterrupt traceback."""
    if multiprocessing.parent_process() is not None:  # a worker, not the main process
        signal.signal(signal.SIGINT, _exit_now)
    from api.app import create_app

    return create_app(settings)


def _exit_now(signum: int, frame: object) -> None:
    os._exit(128 + signum)


# Pickled by reference for the spawned workers, which import it under its importable name
# (`python -m api` runs this module as __main__).
_worker_app.__module__ = "api.__main__"
sys.modules.setdefault("api.__main__", sys.modules[__name__])


def refuse_a_taken_port(host: str, port: int) -> None:
    """One line naming the port and PORT, instead of Sanic's traceback, when it is taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Sanic binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            sys.exit(f"port {port} (the API) is taken by another program: set PORT=<port>")


def prepare_metrics_directory() -> Path | None:
    """PROMETHEUS_MULTIPROC_DIR emptied before the workers start (a temporary directory when
    unset, which the workers inherit through the environment, and which is returned for removal
    at exit): files left by an earlier run would be summed into this run's counters."""
    given = os.environ.get(METRICS_DIRECTORY)
    if not given:
        made = Path(tempfile.mkdtemp(prefix="gosocial-metrics-"))
        os.environ[METRICS_DIRECTORY] = str(made)
        return made
    directory = Path(given)
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.glob("*.db"):
        entry.unlink()
    return None


if __name__ == "__main__":
    main()

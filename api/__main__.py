"""`python -m api`: serve GoSocial with the configuration from the environment (and `.env`)."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from functools import partial
from pathlib import Path

from sanic import Sanic
from sanic.log import logger
from sanic.worker.loader import AppLoader
from sanic.worker.manager import WorkerManager

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
    # Imported once the directory exists: prometheus-client places its metrics' storage at
    # import, by PROMETHEUS_MULTIPROC_DIR (api/metrics.py).
    from api.app import create_app

    loader = AppLoader(factory=partial(in_worker, create_app, settings))
    app = loader.load()
    app.prepare(
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        motd=False,
        single_process=False,
    )
    # Sanic first starts a state manager process, which keeps an ignored signal across its exec:
    # a SIGTERM to the whole process group (systemd's default, `kill -TERM -<pgid>`) killed it,
    # and the main process then failed with a traceback. Sanic installs its own SIGTERM handler
    # in the main process right after, and the workers theirs (api/app.py).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    WorkerManager.shutdown_signal = _stop_from_the_monitor_loop  # type: ignore[method-assign]
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

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
from sanic.worker.loader import AppLoader

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
    try:
        Sanic.serve(primary=app, app_loader=loader)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


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

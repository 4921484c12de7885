"""`python -m api`: serve GoSocial with the configuration from the environment (and `.env`)."""

from __future__ import annotations

import sys
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from api.app import create_app
from api.logs import configure_logging, in_worker
from api.settings import ConfigError, Settings


def main() -> None:
    configure_logging()
    try:
        settings = Settings()
        settings.check_production()
    except ConfigError as exc:
        sys.exit(str(exc))
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
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()

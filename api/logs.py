"""Structured logging: one JSON object per line on stderr."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import orjson

_FIELDS = ("request_id", "trace_id", "method", "path", "status", "duration_ms", "user_id", "client")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for field in _FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


# Paths that carry a secret (the token of a mailed link) after these prefixes: logged without
# whatever follows the prefix (`/confirm/<token>/more` holds the token too).
_SECRET_PATH_PREFIXES = ("/v1/users/activate/", "/confirm/", "/reset-password/")


def safe_path(path: str) -> str:
    for prefix in _SECRET_PATH_PREFIXES:
        if path.startswith(prefix):
            return prefix + "[redacted]"
    return path


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The access log writes a line per request: skip what no line shows (the logging HOWTO's
    # "Optimization" section): the caller's frame, the thread and the process name.
    logging._srcfile = None
    logging.logThreads = False
    logging.logMultiprocessing = False
    # These log request bodies and keys at DEBUG; keep them quiet whatever the root level.
    for noisy in ("python_http_client", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


T = TypeVar("T")
S = TypeVar("S")


def in_worker(factory: Callable[[S], T], settings: S) -> T:
    """`factory(settings)` with logging configured first: Sanic spawns its worker processes, which
    do not inherit the main process's handlers (without this their lines went nowhere)."""
    configure_logging()
    return factory(settings)

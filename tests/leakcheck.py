"""The secrets a test run used, and the check that no server log of the run contains any of them.

Every exchange seen by an httpx event hook (`watch`) records the passwords and tokens it carried:
request bodies' passwords and tokens, bearer tokens, the tokens of mailed links in paths (the
API's and the pages'), and the token pairs the service answered. Tests add others with
`remember`, and servers they start themselves add their log files with `add_log`.
`test_security.py::test_no_secret_in_any_log` runs last (see `run_last`) and greps every log for
every recorded value.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import httpx
import orjson
import pytest

FINAL_TEST = "test_no_secret_in_any_log"
MIN_LENGTH = 8  # shorter values ("admin") occur in logs by chance; every password is >= 8 bytes
# Paths whose last segment is the token of a mailed link.
LINK_PATHS = ("/v1/users/activate/", "/confirm/", "/reset-password/")

_lock = threading.Lock()
_secrets: set[str] = set()
_logs: set[Path] = set()


def remember(*values: object) -> None:
    """Record secrets; a JWT also records its payload and signature parts on their own."""
    with _lock:
        for value in values:
            if not isinstance(value, str) or len(value) < MIN_LENGTH:
                continue
            _secrets.add(value)
            parts = value.split(".")
            if len(parts) == 3 and all(parts[:2]):
                # The header is the same for every token (not secret); a truncated or split
                # token would still show its payload or signature.
                _secrets.update(p for p in parts[1:] if len(p) >= MIN_LENGTH)


def add_log(path: Path) -> None:
    with _lock:
        _logs.add(Path(path))


def secrets() -> set[str]:
    with _lock:
        return set(_secrets)


def logs() -> set[Path]:
    with _lock:
        return set(_logs)


def _from_json(content: bytes) -> None:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return
    if isinstance(body, dict) and isinstance(body.get("data"), dict):
        body = body["data"]
    if isinstance(body, dict):
        keys = ("password", "current_password", "token", "refresh_token", "access_token")
        remember(*(body.get(k) for k in keys))


def watch(response: httpx.Response) -> None:
    """An httpx response hook: record what the exchange carried."""
    request = response.request
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        remember(token.strip())
    path = request.url.path
    if path.startswith(LINK_PATHS):
        remember(path.rsplit("/", 1)[-1])
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    if content:
        _from_json(content)
    if response.status_code == 200 and path in (
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/users/me/password",
    ):
        response.read()
        _from_json(response.content)


def forms(secret: str) -> Iterable[str]:
    """How a secret may appear in a log line: as is and JSON-escaped."""
    yield secret
    escaped = orjson.dumps(secret).decode()[1:-1]
    if escaped != secret:
        yield escaped


def leaks(texts: dict[str, str], values: Iterable[str]) -> list[tuple[str, str]]:
    """(log name, secret shown shortened) for each secret found in a log."""
    found = []
    for value in sorted(values):
        for name, text in texts.items():
            if any(form in text for form in forms(value)):
                found.append((name, f"{value[:6]}...({len(value)} chars)"))
    return found


def run_last(items: list[pytest.Item]) -> None:
    """Move the log check after every other test of the run, whatever the file order."""
    last = [item for item in items if getattr(item, "originalname", None) == FINAL_TEST]
    if last:
        items[:] = [
            item for item in items if getattr(item, "originalname", None) != FINAL_TEST
        ] + last

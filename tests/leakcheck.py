"""The secrets a test run used, and the check that no server log of the run contains any of them.

Every exchange seen by an httpx event hook (`watch`) records the passwords and tokens it carried:
request bodies' passwords and tokens, bearer tokens, the tokens of mailed links in paths (the
API's and the pages'), and the token pairs the service answered. Tests add others with
`remember`, and servers they start themselves add their log files with `add_log`.

At the end of the run every test process (each xdist worker, or the only one) saves what it saw
(`save`), and the process that ran the session greps every server log of the run for every
secret of the run (`final_check`, called from tests/conftest.py); a leak fails the run.
`test_security.py::test_no_secret_in_any_log` exercises the secrets' paths and checks the matcher.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import httpx
import orjson

# Where the processes of one run leave what they saw: set by the process that runs the session
# before its workers start, so that they inherit it.
SHARED_DIR = "GOSOCIAL_LEAKCHECK_DIR"
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


def share() -> None:
    """In the process that runs the session: make the directory its workers save into."""
    os.environ.setdefault(SHARED_DIR, tempfile.mkdtemp(prefix="gosocial-leakcheck-"))


def save(name: str, basetemp: Path | None) -> None:
    """This process's secrets and the server logs it knows of (those under its `basetemp` too)."""
    found = logs() | set(basetemp.rglob("*.log") if basetemp and basetemp.exists() else ())
    record = {"secrets": sorted(secrets()), "logs": sorted(map(str, found))}
    (Path(os.environ[SHARED_DIR]) / f"{name}.json").write_bytes(orjson.dumps(record))


def final_check() -> list[tuple[str, str]]:
    """Every secret of the run against every server log of the run: the leaks."""
    values: set[str] = set()
    paths: set[Path] = set()
    for saved in Path(os.environ[SHARED_DIR]).glob("*.json"):
        record = orjson.loads(saved.read_bytes())
        values.update(record["secrets"])
        paths.update(map(Path, record["logs"]))
    texts = {str(p): p.read_text(errors="replace") for p in sorted(paths) if p.exists()}
    return leaks(texts, values)

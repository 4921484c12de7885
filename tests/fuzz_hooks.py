"""Schemathesis checks of GoSocial's own rules, loaded by `tests/test_fuzz.py` (hooks = ...)."""

from __future__ import annotations

import json

import schemathesis

_INTERNALS = ("Traceback", "asyncpg", "sqlstate", "SELECT ", "social.", "api.", 'File "')


@schemathesis.check
def error_body_shape(ctx, response, case) -> None:
    """Every error is `{"error": str}` or `{"error": str, "details": [{field, message}, ...]}`,
    names no internals, and every response carries X-Request-ID."""
    if not response.headers.get("x-request-id"):
        raise AssertionError("X-Request-ID header missing")
    if response.status_code < 400:
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"error body is not JSON: {response.content[:200]!r}") from None
    if not isinstance(body, dict) or set(body) not in ({"error"}, {"error", "details"}):
        raise AssertionError(f"error body not in the contract's shape: {body!r}")
    if not isinstance(body["error"], str) or not body["error"]:
        raise AssertionError(f"`error` is not a sentence: {body!r}")
    if "details" in body:
        details = body["details"]
        if not isinstance(details, list) or not details:
            raise AssertionError(f"`details` is not a non-empty list: {body!r}")
        for item in details:
            if (
                not isinstance(item, dict)
                or set(item) != {"field", "message"}
                or not all(isinstance(v, str) for v in item.values())
            ):
                raise AssertionError(f"a `details` entry is not {{field, message}}: {body!r}")
    text = response.content.decode(errors="replace")
    leaked = [word for word in _INTERNALS if word in text]
    if leaked:
        raise AssertionError(f"error body names internals {leaked}: {text[:300]}")

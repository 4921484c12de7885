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


# What the document cannot say, so schema-valid ("positive") requests that break it are still
# answered 400. One line each; every other positive request must not get a 400.
def _password_bytes(body: dict) -> bool:
    # minLength/maxLength count characters; a password is 8 to 72 bytes (37 "é" are 74).
    return any(
        isinstance(body.get(k), str)
        and not 8 <= len(body[k].encode("utf-8", "surrogatepass")) <= 72
        for k in ("password", "current_password")
    )


def _more_than_10_distinct_tags(body: dict) -> bool:
    # maxItems cannot count case-insensitively distinct items (duplicates are accepted).
    tags = body.get("tags")
    return isinstance(tags, list) and len({t.lower() for t in tags if isinstance(t, str)}) > 10


def _email_validator_refuses(body: dict) -> bool:
    # `format: email` is looser than email-validator (dot-atoms, domain rules, length parts).
    if not isinstance(body.get("email"), str):
        return False
    from pydantic import TypeAdapter, ValidationError
    from pydantic.networks import EmailStr

    try:
        TypeAdapter(EmailStr).validate_python(body["email"])
    except ValidationError:
        return True
    return False


def _patch_version(body: dict, case) -> bool:
    # "`version` or If-Match, naming the same version" spans body and header: OpenAPI 3.0
    # cannot require one of them, nor that they agree.
    return case.method == "PATCH" and ("version" not in body or bool(case.headers))


def _following_oneself(case, response) -> bool:
    # Who the caller is is not in the document: the fuzzer's own id is a valid path id.
    return case.path.endswith("/follow") and b"yourself" in response.content


def _made_up_cursor(case) -> bool:
    # A cursor is opaque and signed: only one the service issued (in a Link) is valid.
    return isinstance(case.query, dict) and "cursor" in case.query


def _lone_surrogate(value: object) -> bool:
    # JSON may carry "\ud800"; UTF-8 cannot encode it, so no string may hold one.
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


@schemathesis.check
def positive_data_accepted(ctx, response, case) -> None:
    """A request the document says is valid is not refused as invalid (400), except for the
    rules above."""
    meta = getattr(case, "meta", None)
    if meta is None or meta.generation.mode.is_negative or response.status_code != 400:
        return
    body = case.body if isinstance(case.body, dict) else {}
    if (
        _password_bytes(body)
        or _more_than_10_distinct_tags(body)
        or _email_validator_refuses(body)
        or _patch_version(body, case)
        or _following_oneself(case, response)
        or _made_up_cursor(case)
        or any(_lone_surrogate(part) for part in (case.body, case.query, case.path_parameters))
    ):
        return
    raise AssertionError(
        f"schema-valid request refused with 400: {response.content[:300]!r} "
        f"(query {case.query!r}, body {case.body!r})"
    )

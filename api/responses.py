"""Success responses in the contract's envelope, built from JSON the database already made, and
the one JSON encoder of what Python renders itself."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from sanic import HTTPResponse

from api.security import TokenPair


def data(
    raw: str | bytes, status: int = 200, headers: dict[str, str] | None = None
) -> HTTPResponse:
    """`{"data": raw}` without decoding `raw`: the api.* functions return finished JSON."""
    body = raw.encode() if isinstance(raw, str) else raw
    return HTTPResponse(b'{"data":' + body + b"}", status, headers, "application/json")


# RFC 6749 §5.1: an answer carrying a token must not be stored (Pragma for HTTP/1.0 caches).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
NO_STORE_DOC = {  # as `@endpoint(ok_headers=...)` documents them
    "Cache-Control": "`no-store`: an answer carrying tokens is never cached (RFC 6749 §5.1)",
    "Pragma": "`no-cache`, for HTTP/1.0 caches",
}


def token_pair(pair: TokenPair) -> HTTPResponse:
    """A token pair, in the envelope, never to be cached."""
    return HTTPResponse(dumps({"data": pair.as_json()}), 200, NO_STORE, "application/json")


def no_content() -> HTTPResponse:
    return HTTPResponse(status=204)


def rfc3339(moment: datetime) -> str:
    """docs/api.md "Conventions": RFC 3339 in UTC with exactly six fractional digits, as
    social.time_json writes them (orjson and isoformat() drop a zero fraction; Python 3.10
    parses 3 or 6 digits only). A naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def dumps(value: object) -> bytes:
    """Compact JSON with the contract's times: Sanic's encoder for every body Python builds.
    OpenAPI's status-code keys are ints: they are written as strings."""
    return orjson.dumps(
        value, default=_default, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    )


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return rfc3339(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")

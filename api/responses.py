"""Success responses in the contract's envelope, built from JSON the database already made."""

from __future__ import annotations

from sanic import HTTPResponse


def data(
    raw: str | bytes, status: int = 200, headers: dict[str, str] | None = None
) -> HTTPResponse:
    """`{"data": raw}` without decoding `raw`: the api.* functions return finished JSON."""
    body = raw.encode() if isinstance(raw, str) else raw
    return HTTPResponse(b'{"data":' + body + b"}", status, headers, "application/json")


def no_content() -> HTTPResponse:
    return HTTPResponse(status=204)

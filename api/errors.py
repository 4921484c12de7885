"""The API's error type, the SQLSTATE → HTTP table, and the handler that renders every error."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from sanic import HTTPResponse, Request
from sanic.exceptions import (
    PayloadTooLarge,
    RequestCancelled,
    SanicException,
    ServiceUnavailable,
)

from api.logs import safe_path
from api.responses import dumps

log = logging.getLogger("gosocial.errors")

# One place for the database's error codes (raised by the api.* functions, see db/functions).
SQLSTATE_STATUS = {
    "SN400": 400,
    "SN403": 403,
    "SN404": 404,
    "SN409": 409,
    "SN422": 422,  # an Idempotency-Key used again with a different request
    "23505": 409,  # unique violation not translated by a function
    "23514": 400,  # check violation: a bound the models let through
    "23503": 404,  # foreign key: the row referred to is gone (409 when still referenced, below)
    "57014": 503,  # query cancelled: statement timeout
    "40P01": 503,  # deadlock detected: this transaction was the one rolled back
    "40001": 503,  # serialization failure
    # read-only transaction: a write reached a server that is (for now) a standby, e.g. a
    # primary Patroni restarted in place, which comes back read-only for a moment
    "25006": 503,
}
_RETRY = {"40P01", "40001"}
# Connection exceptions, insufficient resources, operator intervention (admin shutdown, crash,
# cannot connect now): the database is unavailable rather than the request wrong.
UNAVAILABLE_CLASSES = ("08", "53", "57P")
# The connection failed rather than the request: refused, reset, timed out, closed, or left by
# the server's last words in a state asyncpg cannot go on from (InternalClientError "another
# operation is in progress": a server shutting down sent FATAL to an idle pooled connection,
# which was handed out before its socket's close arrived).
CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.InterfaceError, asyncpg.InternalClientError)

# nginx's status for a request whose client closed the connection before the answer: it is
# recorded (access log, metrics, traces) and never sent, and it is not a server error.
CLIENT_GONE = 499

# Sanic's own messages for the statuses it raises itself, made into client sentences.
_DEFAULT_MESSAGES = {
    400: "invalid request",
    401: "authentication required",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    408: "the request did not arrive in time",
    409: "conflict",
    413: "request body too large",
    415: "the request body must be JSON (Content-Type: application/json)",
    422: "unprocessable request",
    429: "rate limit exceeded",
    503: "service unavailable",
}


# Problems described in one error's `details`, and characters of a client's key echoed as a
# `field`: an error body stays a few kB, whatever the request held.
MAX_DETAILS = 10
MAX_FIELD = 100


def field_name(key: object) -> str:
    """A key the client sent, as a detail's `field`: cut short, and encodable (a lone surrogate,
    which JSON text may escape, becomes `?`)."""
    name = str(key)
    if len(name) > MAX_FIELD:
        name = name[:MAX_FIELD] + "..."
    return name.encode("utf-8", "replace").decode()


class ApiError(SanicException):
    """An error for the client: a status, one human sentence and optional per-field details.

    At most MAX_DETAILS details are kept; `problems`, the number found, or more details than
    that, are told in the sentence."""

    def __init__(
        self,
        status: int,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        problems: int | None = None,
    ) -> None:
        total = max(problems or 0, len(details or ()))
        if details and total > MAX_DETAILS:
            message = f"{message} ({total} problems, the first {MAX_DETAILS} listed)"
            details = details[:MAX_DETAILS]
        super().__init__(message, status_code=status, headers=headers)
        self.details = details


def from_database(exc: asyncpg.PostgresError) -> ApiError | None:
    """The client-facing error for a database error, or None when it is unexpected (a 500)."""
    status = SQLSTATE_STATUS.get(exc.sqlstate or "")
    if status is None and (exc.sqlstate or "").startswith(UNAVAILABLE_CLASSES):
        # The server is shutting down, starting up, out of connections or cut off.
        return ApiError(503, "the database is unavailable, try again later")
    if status is None:
        return None
    if exc.sqlstate in _RETRY:
        # Nothing was written; the same request can simply be sent again.
        return ApiError(503, "a concurrent request got in the way, try again")
    if exc.sqlstate == "25006":
        return ApiError(503, "the database is read-only for the moment, try again")
    if status == 503:
        return ApiError(503, "the database did not answer in time")
    if exc.sqlstate == "23503" and "still referenced" in (exc.detail or ""):
        status = 409  # a delete or update of a row others still point at
    # Only our own SN* messages are written for clients; anything else gets a generic sentence.
    own = exc.sqlstate.startswith("SN")
    return ApiError(status, exc.message if own else _DEFAULT_MESSAGES[status])


def error_body(message: str, details: list[dict[str, str]] | None = None) -> bytes:
    body: dict[str, Any] = {"error": message}
    if details:
        body["details"] = details
    return dumps(body)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """The `Allow` of a 405 (RFC 9110). Sanic's router names the methods for static paths only;
    for `<post_id:id>` paths it leaves them out, so they are looked up here, method by method."""
    allowed = []
    for method in _METHODS:
        try:
            request.app.router.get(request.path, method, request.headers.get("host"))
        except SanicException:
            continue
        allowed.append(method)
    return ", ".join(allowed)


_HEAD_TOO_LARGE = "Request header exceeds the size limit"  # Sanic's words, with a 413


def _head_too_large(request: Request) -> ApiError:
    """Sanic answers a request head over REQUEST_MAX_HEADER_SIZE (8 KiB) with 413, as if the
    body were too large. The head is still in the connection's buffer: a request line over
    half of that budget is an overlong URI (414), anything else too many headers (431)."""
    buffer = getattr(request.transport.get_protocol(), "recv_buffer", b"")
    limit = request.app.config.REQUEST_MAX_HEADER_SIZE
    request_line = bytes(buffer[: limit + 1]).split(b"\r\n", 1)[0]
    if len(request_line) > limit // 2:
        return ApiError(414, "the URI is too long")
    return ApiError(431, "the request header fields are too large")


def render(request: Request, exc: Exception) -> HTTPResponse:
    """Every error response of the service, in the contract's shape."""
    if isinstance(exc, RequestCancelled):  # the client went away: the handler was cancelled
        return HTTPResponse(status=CLIENT_GONE)
    request_id = getattr(request.ctx, "request_id", None)
    if isinstance(exc, asyncpg.PostgresError):
        mapped = from_database(exc)
        if mapped is not None and mapped.status_code == 503:
            log.warning(
                "database unavailable: %s (%s)",
                type(exc).__name__,
                exc.sqlstate,
                extra={"request_id": request_id},
            )
        exc = mapped or exc
    elif isinstance(exc, PayloadTooLarge) and str(exc) == _HEAD_TOO_LARGE:
        exc = _head_too_large(request)
    elif isinstance(exc, ServiceUnavailable):  # past REQUEST_TIMEOUT (api/edge.py)
        log.warning("request timed out", extra={"request_id": request_id})
        exc = ApiError(503, "the request took too long, try again later")
    elif isinstance(exc, CONNECTION_ERRORS):
        # Connection refused or lost, pool closed, query timeout: the database is unavailable.
        log.warning("database unavailable: %r", exc, extra={"request_id": request_id})
        exc = ApiError(503, "the database is unavailable, try again later")
    if isinstance(exc, ApiError) or (isinstance(exc, SanicException) and exc.status_code < 500):
        status = exc.status_code
        message = str(exc) if isinstance(exc, ApiError) else _DEFAULT_MESSAGES.get(status, str(exc))
        headers = dict(getattr(exc, "headers", None) or {})
        if status == 405 and "Allow" not in headers:
            headers["Allow"] = _allowed_methods(request)
        details = getattr(exc, "details", None)
        return HTTPResponse(error_body(message, details), status, headers, "application/json")
    log.error(
        "unhandled error on %s %s",
        request.method,
        safe_path(request.path),
        exc_info=exc,
        extra={"request_id": request_id},
    )
    status = exc.status_code if isinstance(exc, SanicException) else 500
    message = f"internal error (request id {request_id})"
    if status == 503:
        message = _DEFAULT_MESSAGES[503]
    return HTTPResponse(error_body(message), status, None, "application/json")

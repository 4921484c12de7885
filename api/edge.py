"""The connection edge: how long a client may take over a request, how many connections it may
hold, and which request heads are refused. Built on Sanic's HTTP/1.1 protocol classes (sanic
25.12, pinned: tests/unit/test_sanic_ext_adapter.py), used by `python -m api`.

Sanic's timers restart with every byte received, so a client sending a header line every few
seconds held a connection for ever (slowloris), and a body sent too slowly ended as a 503 after
REQUEST_TIMEOUT. Here every stage has an absolute deadline, counted from its first byte:

    a new connection's first byte          HEADER_TIMEOUT       closed
    the request line and headers           HEADER_TIMEOUT       408, closed
    the body, and the whole request        REQUEST_TIMEOUT      408 while the body is still
                                                                arriving, else 503
    between requests on a kept-alive one   KEEP_ALIVE_TIMEOUT   closed

Connections beyond MAX_CONNECTIONS (per worker) get a 503, beyond MAX_CONNECTIONS_PER_CLIENT
from one address a 429, each written at once and closed. Behind a proxy (TRUSTED_PROXY_HEADER
set) every connection comes from the proxy, so the per-client cap is the proxy's job.

A request head is refused with 400 where RFC 9112 says a server must (or may, and we do): a
folded header line (§5.2), whitespace before a field's colon (§5.1), a control character in a
field (§5.5), no Host in HTTP/1.1 or more than one (§3.2). Sanic's parser already refuses a
malformed request line, a header line without a colon, non-ASCII in the target, a
Content-Length that is not a number, and both Content-Length and Transfer-Encoding.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from time import monotonic
from typing import Any

from sanic.exceptions import RequestTimeout, SanicException, ServiceUnavailable
from sanic.http import Stage
from sanic.http.http1 import Http
from sanic.server.protocols.http_protocol import HttpProtocol

from api import metrics
from api.errors import ApiError
from api.settings import Settings

# After the request line, each field as RFC 9112 writes it: a token, the colon right after it,
# and a value without CR, LF or NUL (a bare LF would be a line break to another parser).
_FIELDS = re.compile(rb"(?:\r\n[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n\x00]*)*")


class BodyTimeout(RequestTimeout):
    """The body did not arrive within REQUEST_TIMEOUT."""


@dataclass
class Gate:
    """The worker's limits and its count of connections per client address."""

    header_timeout: float
    request_timeout: float
    keep_alive_timeout: float
    max_connections: int
    max_per_client: int | None  # None: behind a trusted proxy, whose address every client has
    per_client: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_settings(cls, settings: Settings) -> Gate:
        return cls(
            settings.header_timeout,
            settings.request_timeout,
            settings.keep_alive_timeout,
            settings.max_connections,
            None if settings.trusted_proxy_header else settings.max_connections_per_client,
        )

    def refusal(self, open_connections: int, address: str) -> bytes | None:
        """The answer to a connection over a cap (counted already), or None to admit it."""
        if open_connections > self.max_connections:
            metrics.CONNECTIONS_REFUSED.labels("total").inc()
            return _canned(503, "Service Unavailable", "too many connections, try again later")
        if self.max_per_client is not None and self.per_client[address] > self.max_per_client:
            metrics.CONNECTIONS_REFUSED.labels("per_client").inc()
            return _canned(429, "Too Many Requests", "too many connections from your address")
        return None


def _canned(status: int, reason: str, message: str) -> bytes:
    body = b'{"error":"%s"}' % message.encode()
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\nretry-after: 1\r\nx-request-id: %s\r\n\r\n%s"
        % (status, reason.encode(), len(body), uuid.uuid4().hex.encode(), body)
    )


class EdgeHttp(Http):
    """Sanic's HTTP/1.1 state machine, with the time a request began and the stricter head."""

    __slots__ = ("started",)
    protocol: EdgeProtocol

    def init_for_request(self) -> None:
        super().init_for_request()
        self.started: float | None = None
        if getattr(self.protocol, "_http", None) is self:  # idle from now on: rearm
            self.protocol.arm()

    async def http1_request_header(self) -> None:
        self.started = monotonic()
        self.protocol.served = True
        self.protocol.arm()
        await super().http1_request_header()
        request = self.request
        _check_head(request.head, request.version, len(request.headers.getall("host", [])))


def _check_head(head: bytes, version: str, hosts: int) -> None:
    line_end = head.find(b"\r\n")
    if line_end != -1 and _FIELDS.fullmatch(head, line_end) is None:
        raise ApiError(
            400,
            "a header field is malformed: folded, spaced before its colon, or with a control "
            "character",
        )
    # HTTP/1.0 has no Host requirement (HAProxy's health checks send none).
    if hosts > 1 or (hosts == 0 and version != "1.0"):
        raise ApiError(400, "a request must carry exactly one Host header")


class EdgeProtocol(HttpProtocol):
    """HttpProtocol with absolute deadlines and connection caps (see the module's text)."""

    HTTP_CLASS = EdgeHttp
    __slots__ = ("address", "admitted", "gate", "served")

    def _setup(self) -> None:
        super()._setup()
        self.gate: Gate = self.app.ctx.gate
        self.admitted = False
        self.served = False  # whether a request has begun on this connection

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if isinstance(peer, tuple) else "local"
        self.gate.per_client[self.address] += 1
        refusal = self.gate.refusal(len(self.connections) + 1, self.address)
        if refusal is not None:
            self.gate.per_client[self.address] -= 1
            transport.write(refusal)  # type: ignore[attr-defined]
            transport.close()
            return
        self.admitted = True
        metrics.CONNECTIONS_OPEN.inc()
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.admitted:
            return
        self.admitted = False
        metrics.CONNECTIONS_OPEN.dec()
        left = self.gate.per_client[self.address] - 1
        if left:
            self.gate.per_client[self.address] = left
        else:
            del self.gate.per_client[self.address]
        super().connection_lost(exc)

    def arm(self) -> None:
        """Check the deadlines at the next one (again whenever a stage begins)."""
        if self._callback_check_timeouts is not None:
            self._callback_check_timeouts.cancel()
        self._callback_check_timeouts = None
        self.check_timeouts()

    def check_timeouts(self) -> None:
        http: Any = self._http
        if not self._task or http is None or http.upgrade_websocket:
            return
        deadline, error = self._deadline(http)
        now = monotonic()
        if now < deadline:
            self._callback_check_timeouts = self.loop.call_later(
                deadline - now, self.check_timeouts
            )
            return
        http.exception = error
        if isinstance(error, BodyTimeout):
            http.request_body = None  # answered and closed: the rest is not waited for
        self._task.cancel("deadline")

    def _deadline(self, http: Any) -> tuple[float, SanicException | None]:
        gate, started, stage = self.gate, http.started, http.stage
        if stage is Stage.IDLE or started is None:
            # Before the first request as long as a head may take; between requests keep-alive.
            idle = gate.keep_alive_timeout if self.served else gate.header_timeout
            return self._time + idle, None
        if stage is Stage.REQUEST:  # the head is part of the whole request too
            head = min(gate.header_timeout, gate.request_timeout)
            return started + head, RequestTimeout("request timeout")
        if http.request_body:  # the handler waits for a body that is still arriving
            return started + gate.request_timeout, BodyTimeout("body timeout")
        return started + gate.request_timeout, ServiceUnavailable("response timeout")

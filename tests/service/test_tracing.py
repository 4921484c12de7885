"""Traces on a live server (two workers) whose OTEL_EXPORTER_OTLP_ENDPOINT is a collector run by
the test: the service's own exporter sends OTLP/HTTP, the collector decodes it with the
protocol's own classes. One request with a `traceparent` gives a server span in that trace,
under the caller's span, with database and Redis spans beneath it."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.helpers import BASIC, Database, make_user, table_locked
from tests.services import Api, Mailbox, api, free_port, wait_for

SERVER_KIND = 2  # opentelemetry.proto.trace.v1.Span.SPAN_KIND_SERVER


@dataclass(frozen=True)
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    scope: str
    attributes: dict[str, object]
    status: int  # 0 unset, 1 ok, 2 error


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver keeping every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.paths: set[str] = set()
        super().__init__(("127.0.0.1", free_port()), _Receive)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def trace(self, trace_id: str) -> list[Span]:
        return [span for span in self.spans if span.trace_id == trace_id]


class _Receive(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest.FromString(body)
        self.server.paths.add(self.path)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    self.server.spans.append(
                        Span(
                            span.name,
                            span.trace_id.hex(),
                            span.span_id.hex(),
                            span.parent_span_id.hex(),
                            span.kind,
                            scope.scope.name,
                            {a.key: _value(a.value) for a in span.attributes},
                            span.status.code,
                        )
                    )
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:  # quiet
        pass


def _value(value: object) -> object:
    kind = value.WhichOneof("value")  # type: ignore[attr-defined]
    return getattr(value, kind) if kind else None


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def server(
    service_env: dict[str, str], collector: Collector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    env = {
        **service_env,
        "WORKERS": "2",
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
        "OTEL_BSP_SCHEDULE_DELAY": "50",  # milliseconds: the test need not wait 5 s
    }
    with api(env, tmp_path_factory.mktemp("tracing") / "api.log") as s:
        yield s


def test_request_span_continues_the_callers_trace(server: Api, collector: Collector) -> None:
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    headers = {"traceparent": f"00-{trace_id}-{caller_span}-01", "X-Request-ID": "traced-1"}
    with server.client() as client:
        r = client.get("/v1/health", auth=BASIC, headers=headers)
    assert r.status_code == 200, r.text

    def server_span() -> list[Span]:
        return [s for s in collector.trace(trace_id) if s.kind == SERVER_KIND]

    wait_for(lambda: bool(server_span()), 10, "the request's server span")
    (root,) = server_span()
    assert root.name == "GET /v1/health"
    assert root.parent_id == caller_span  # under the caller's span, in the caller's trace
    assert root.attributes["http.route"] == "/v1/health"
    assert root.attributes["http.request.method"] == "GET"
    assert root.attributes["http.response.status_code"] == 200
    # The health check's SELECT 1 and PING, as children of the request's span.
    wait_for(lambda: len(collector.trace(trace_id)) >= 3, 10, "the database and Redis spans")
    children = [s for s in collector.trace(trace_id) if s.parent_id == root.span_id]
    scopes = {s.scope for s in children}
    assert "opentelemetry.instrumentation.asyncpg" in scopes, children
    assert "opentelemetry.instrumentation.redis" in scopes, children
    assert collector.paths == {"/v1/traces"}
    print_tree(collector.trace(trace_id), caller_span)

    # The trace id beside the request id in the access log.
    time.sleep(0.2)
    (line,) = [
        line
        for line in server.log_lines()
        if line.get("logger") == "gosocial.access" and line.get("request_id") == "traced-1"
    ]
    assert line["trace_id"] == trace_id


def test_request_without_traceparent_starts_a_trace(server: Api, collector: Collector) -> None:
    with server.client() as client:
        r = client.get("/v1/posts/7", headers={"X-Request-ID": "traced-2"})
    assert r.status_code == 401
    wait_for(
        lambda: any(s.name == "GET /v1/posts/<post_id>" for s in collector.spans),
        10,
        "the span of the unauthenticated request",
    )
    (root,) = [s for s in collector.spans if s.name == "GET /v1/posts/<post_id>"]
    assert root.parent_id == "" and root.attributes["http.response.status_code"] == 401
    assert root.attributes["url.path"] == "/v1/posts/7"

    with server.client() as client:
        assert client.get("/no/such/route").status_code == 404
    wait_for(lambda: any(s.name == "GET unmatched" for s in collector.spans), 10, "a 404's span")


def test_a_client_gone_is_a_499_span_not_an_error(
    server: Api, collector: Collector, mailbox: Mailbox, db: Database
) -> None:
    with server.client() as client:
        me = make_user(client, mailbox, f"traced_{secrets.token_hex(4)}")
    trace_id = secrets.token_hex(16)
    head = (
        f"GET /v1/posts/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {me.access_token}\r\n"
        f"traceparent: 00-{trace_id}-{secrets.token_hex(8)}-01\r\n\r\n"
    )
    # The read waits on the lock until the client leaves.
    with (
        table_locked(db.url),
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock,
    ):
        sock.sendall(head.encode())
        time.sleep(0.5)
        sock.close()

        def server_spans() -> list[Span]:
            return [s for s in collector.trace(trace_id) if s.kind == SERVER_KIND]

        wait_for(lambda: bool(server_spans()), 10, "the span of the request")
    spans = server_spans()
    assert [s.attributes["http.response.status_code"] for s in spans] == [499]
    assert spans[0].status != 2  # not an error


def print_tree(spans: list[Span], parent: str, depth: int = 0) -> None:
    """The span tree, shown with `pytest -s` (names, ids, parents)."""
    for span in sorted((s for s in spans if s.parent_id == parent), key=lambda s: s.name):
        print(f"{'  ' * depth}{span.name} [{span.scope}] id={span.span_id} parent={parent}")
        print_tree(spans, span.span_id, depth + 1)


def test_tracing_is_off_without_an_endpoint(tmp_path: Path, service_env: dict[str, str]) -> None:
    """No OTEL_EXPORTER_OTLP_ENDPOINT: no trace id in the log (nothing installed)."""
    with api(service_env, tmp_path / "api.log") as s, s.client() as client:
        client.get("/v1/health", auth=BASIC, headers={"X-Request-ID": "untraced-1"})
        time.sleep(0.2)
        (line,) = [line for line in s.log_lines() if line.get("request_id") == "untraced-1"]
    assert "trace_id" not in line

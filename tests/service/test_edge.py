"""The request edge: what Sanic refuses by itself (unknown route, wrong method, malformed or
oversized requests) and what api/edge.py adds (absolute deadlines for a request's head, body and
answer, idle limits, connection caps, strict heads, 499 for a client gone) are answered in the
contract's JSON error shape with an X-Request-ID, like every other error; no Server header tells
versions. Raw sockets send what httpx cannot. The deadlines are the settings', made short."""

from __future__ import annotations

import re
import socket
import time
import uuid
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.helpers import BASIC, Account, Database, assert_error_shape, make_user, table_locked
from tests.services import Api, Mailbox, api, wait_for

HEADER_TIMEOUT = 1.0
REQUEST_TIMEOUT = 4.0
KEEP_ALIVE_TIMEOUT = 1.5
SLACK = 1.5  # a deadline is met within this on a loaded machine


@pytest.fixture(scope="module")
def server(service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    env = {
        **service_env,
        "HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
        "KEEP_ALIVE_TIMEOUT": str(KEEP_ALIVE_TIMEOUT),
    }
    with api(env, tmp_path_factory.mktemp("edge") / "api.log") as s:
        yield s


@pytest.fixture(scope="module")
def user(server: Api, mailbox: Mailbox) -> Account:
    with server.client() as client:
        return make_user(client, mailbox, f"edge_{uuid.uuid4().hex[:8]}")


def raw(server: Api, data: bytes, wait: float = 5) -> tuple[int, dict[str, str], bytes]:
    """Send `data` as is on a new connection; the response's status, headers and body."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received or not _complete(received):
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines)}
    return int(status_line.split()[1]), headers, body


def _complete(received: bytes) -> bool:
    head, _, body = received.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def assert_json_error(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict:
    assert status == expected, (status, body)
    assert headers["content-type"].startswith("application/json"), headers
    assert headers.get("x-request-id"), headers
    error = orjson.loads(body)
    assert_error_shape(error)
    assert "Traceback" not in error["error"] and "sanic" not in error["error"].lower()
    return error


def test_overlong_uri_is_414(server: Api) -> None:
    path = "/v1/posts/" + "a" * 20_000
    error = assert_json_error(*raw(server, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()), 414)
    assert "URI" in error["error"]
    # Just too long for the request head (8 KiB) with a short header block.
    path = "/v1/posts/" + "a" * 8_200
    assert_json_error(*raw(server, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()), 414)


def test_oversized_headers_are_431(server: Api) -> None:
    big = "b" * 10_000
    request = f"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n".encode()
    error = assert_json_error(*raw(server, request), 431)
    assert "header" in error["error"]


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /livez HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A: b\r\n X-Folded: c\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\tX-Folded: c\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nHost : x\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A\t: b\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nX-A: b\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A: b\nX-Smuggled: c\r\n\r\n",
        b"GET /livez HTTP/1.1\r\nHost: x\r\nX-A: b\x00c\r\n\r\n",
    ],
    ids=[
        "request-line",
        "protocol",
        "header-line",
        "content-length",
        "folded-by-space",
        "folded-by-tab",
        "space-before-colon",
        "tab-before-colon",
        "no-host",
        "two-hosts",
        "bare-lf",
        "nul",
    ],
)
def test_malformed_requests_are_400(server: Api, request_bytes: bytes) -> None:
    assert_json_error(*raw(server, request_bytes), 400)


def test_body_too_large_is_413(server: Api) -> None:
    request = (
        b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2000000\r\n\r\n{"
    )
    assert_json_error(*raw(server, request), 413)


def test_unknown_route_and_wrong_method(server: Api) -> None:
    with server.client() as client:
        r = client.get("/v2/nothing/here")
        assert_json_error(r.status_code, dict(r.headers), r.content, 404)
        r = client.put("/livez")
        assert_json_error(r.status_code, dict(r.headers), r.content, 405)
        assert {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "HEAD", "OPTIONS"}


def test_no_server_header_with_versions(server: Api) -> None:
    responses = [httpx.get(f"{server.url}/livez"), httpx.get(f"{server.url}/nope")]
    responses.append(httpx.get(f"{server.url}/v1/posts/1"))
    for r in responses:
        server_header = r.headers.get("Server", "")
        assert not any(ch.isdigit() for ch in server_header), server_header
    _, headers, _ = raw(server, b"GARBAGE\r\n\r\n")
    assert not any(ch.isdigit() for ch in headers.get("server", ""))


# -- deadlines: each stage closed at its own, however the client drips ------------------------


def hold(
    server: Api, first: bytes, drip: bytes = b"", every: float = 0.3, cap: float = 15
) -> tuple[float, bytes]:
    """Send `first`, then `drip` every `every` seconds until the server closes the connection
    (or `cap` passes): how long it stayed open, and what the server sent."""
    started = time.monotonic()
    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=every) as sock:
        sock.sendall(first)
        while time.monotonic() - started < cap:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                if drip:
                    try:
                        sock.sendall(drip)
                    except OSError:
                        break
                continue
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    return time.monotonic() - started, received


def status_of(received: bytes) -> int | None:
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", received)
    return int(match[1]) if match else None


def test_a_head_dripped_line_by_line_is_408_at_the_header_deadline(server: Api) -> None:
    # Slowloris: every line restarted Sanic's timer; the head's deadline is absolute.
    took, received = hold(server, b"GET /livez HTTP/1.1\r\nHost: x\r\n", drip=b"X-A: b\r\n")
    assert status_of(received) == 408, received
    assert HEADER_TIMEOUT <= took < HEADER_TIMEOUT + SLACK, took
    assert_json_error(408, *_parts(received)[1:], 408)


def test_a_silent_connection_is_closed_at_the_header_deadline(server: Api) -> None:
    took, received = hold(server, b"")
    assert received == b""
    assert HEADER_TIMEOUT <= took < HEADER_TIMEOUT + SLACK, took


def test_an_idle_kept_alive_connection_is_closed_at_the_keep_alive_deadline(server: Api) -> None:
    took, received = hold(server, b"GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(received) == 200, received
    assert KEEP_ALIVE_TIMEOUT <= took < KEEP_ALIVE_TIMEOUT + SLACK, took


@pytest.mark.parametrize("drip", [b" ", b""], ids=["dripped", "unfinished"])
def test_a_body_too_slow_is_408_at_the_request_deadline(server: Api, drip: bytes) -> None:
    head = (
        b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 200\r\n\r\n{"
    )
    took, received = hold(server, head, drip=drip)
    assert status_of(received) == 408, received
    assert REQUEST_TIMEOUT <= took < REQUEST_TIMEOUT + SLACK, took
    error = assert_json_error(408, *_parts(received)[1:], 408)
    assert error["error"] == "the request did not arrive in time"
    counted = requests_counted(server)
    assert counted.get(("POST", "/v1/auth/login", "408"), 0) >= 1, counted
    assert not [k for k in counted if k[1] == "/v1/auth/login" and k[2].startswith("5")], counted


def _parts(received: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines)}
    return int(status_line.split()[1]), headers, body


# -- a client that goes away: 499, its uncommitted work cancelled, its committed work kept ----


def requests_counted(server: Api) -> dict[tuple[str, str, str], float]:
    """gosocial_http_requests_total by (method, route, status), from /metrics."""
    text = httpx.get(f"{server.url}/metrics", auth=BASIC, timeout=5).text
    series = re.findall(
        r'^gosocial_http_requests_total\{method="([^"]*)",route="([^"]*)",status="(\d+)"\} (\S+)$',
        text,
        re.M,
    )
    return {(m, r, s): float(v) for m, r, s, v in series}


def post_request(user: Account, body: dict, request_id: str, key: str | None = None) -> bytes:
    data = orjson.dumps(body)
    extra = f"Idempotency-Key: {key}\r\n" if key else ""
    return (
        f"POST /v1/posts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {user.access_token}\r\nX-Request-ID: {request_id}\r\n{extra}"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data


def access_status(server: Api, request_id: str) -> int | None:
    for line in server.log_lines():
        if line.get("logger") == "gosocial.access" and line.get("request_id") == request_id:
            return int(line["status"])
    return None


def inserts_waiting(db: Database) -> int:
    return int(
        db.fetchval(
            "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
            " and datname = current_database() and pid <> pg_backend_pid()"
        )
    )


def test_a_client_gone_is_499_and_its_uncommitted_write_is_cancelled(
    server: Api, user: Account, db: Database
) -> None:
    title, request_id = f"gone-{uuid.uuid4().hex}", f"gone-{uuid.uuid4().hex[:12]}"
    with table_locked(db.url):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(post_request(user, {"title": title, "content": "c"}, request_id))
            wait_for(lambda: inserts_waiting(db) == 1, 3, "the insert waiting on the lock")
        # The client is gone, the lock still held: the insert is cancelled, not left waiting
        # for the query timeout or for the lock.
        wait_for(lambda: inserts_waiting(db) == 0, 2, "the insert cancelled")
    wait_for(lambda: access_status(server, request_id) is not None, 5, "the access log line")
    assert access_status(server, request_id) == 499
    assert db.fetchval("select count(*) from social.posts where title = $1", title) == 0
    counted = requests_counted(server)
    assert counted.get(("POST", "/v1/posts", "499"), 0) >= 1, counted
    assert not [k for k in counted if k[2].startswith("5")], counted
    errors = [line for line in server.log_lines() if line.get("level") == "error"]
    assert not errors, errors
    figures = httpx.get(f"{server.url}/v1/debug/vars", auth=BASIC, timeout=5).json()
    assert "5xx" not in figures["requests"], figures["requests"]


def test_a_write_that_committed_stays_and_its_key_replays_it(
    server: Api, user: Account, db: Database
) -> None:
    title, key = f"kept-{uuid.uuid4().hex}", uuid.uuid4().hex
    body = {"title": title, "content": "c"}
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(post_request(user, body, f"kept-{key[:12]}", key))
    # Whether or not the first attempt committed before the client left, the retry with the
    # same key leaves exactly one post.
    headers = {**user.headers, "Idempotency-Key": key}

    def retried() -> bool:
        r = httpx.post(f"{server.url}/v1/posts", json=body, headers=headers, timeout=10)
        assert r.status_code in (201, 409), r.text  # 409: the first still in flight
        return r.status_code == 201

    wait_for(retried, 10, "the retry answered", step=0.2)
    assert db.fetchval("select count(*) from social.posts where title = $1", title) == 1


def test_a_connection_closed_mid_head_is_499_not_a_server_error(server: Api) -> None:
    before = requests_counted(server).get(("other", "unmatched", "499"), 0)
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET /v1/users/feed HTTP/1.1\r\nHost: x\r\n")
            time.sleep(0.05)

    def counted() -> bool:
        return requests_counted(server).get(("other", "unmatched", "499"), 0) == before + 3

    wait_for(counted, 5, "three 499s under route unmatched")
    assert not [k for k in requests_counted(server) if k[2].startswith("5")]


# -- connection caps -----------------------------------------------------------------------------

PER_CLIENT, TOTAL = 4, 6


@pytest.fixture(scope="module")
def capped(service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    env = {
        **service_env,
        "MAX_CONNECTIONS_PER_CLIENT": str(PER_CLIENT),
        "MAX_CONNECTIONS": str(TOTAL),
    }
    with api(env, tmp_path_factory.mktemp("capped") / "api.log") as s:
        yield s


def connect(server: Api, source: str) -> socket.socket:
    """A connection from `source` (any 127.0.0.0/8 address is this machine's loopback)."""
    return socket.create_connection(
        ("127.0.0.1", server.port), timeout=5, source_address=(source, 0)
    )


def refused_with(sock: socket.socket) -> int | None:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return status_of(received)


def test_connections_over_a_cap_are_refused_429_per_client_and_503_in_all(capped: Api) -> None:
    held = [connect(capped, "127.0.0.1") for _ in range(PER_CLIENT)]
    try:
        with connect(capped, "127.0.0.1") as sock:
            assert refused_with(sock) == 429
        held += [connect(capped, "127.0.0.2") for _ in range(TOTAL - PER_CLIENT)]
        with connect(capped, "127.0.0.3") as sock:
            assert refused_with(sock) == 503
        # The held ones are still served.
        held[0].sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert refused_with(held[0]) == 200
    finally:
        for sock in held:
            sock.close()
    # Closed ones free their places.
    wait_for(lambda: httpx.get(f"{capped.url}/livez", timeout=5).status_code == 200, 5, "a place")
    text = httpx.get(f"{capped.url}/metrics", auth=BASIC, timeout=5).text
    assert 'gosocial_http_connections_refused_total{cap="per_client"} 1.0' in text, text
    assert 'gosocial_http_connections_refused_total{cap="total"} 1.0' in text, text
    assert re.search(r"^gosocial_http_connections_open \d", text, re.M), text


def test_http_1_0_needs_no_host(server: Api) -> None:
    # HAProxy's health checks (make cluster) are HTTP/1.0 requests without Host.
    status, _, body = raw(server, b"GET /livez HTTP/1.0\r\n\r\n")
    assert status == 200, body
    status, _, body = raw(server, b"GET /livez HTTP/1.0\r\nUser-Agent: check\r\n\r\n")
    assert status == 200, body

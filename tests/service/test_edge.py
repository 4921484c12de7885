"""The request edge: what Sanic refuses by itself (unknown route, wrong method, malformed or
oversized requests, a client too slow to send its request) is answered in the contract's JSON
error shape with an X-Request-ID, like every other error; no Server header tells versions.
Raw sockets send what httpx cannot."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.helpers import assert_error_shape
from tests.services import Api, api

REQUEST_TIMEOUT = 1  # seconds Sanic waits for a request's head and body (SANIC_REQUEST_TIMEOUT)


@pytest.fixture(scope="module")
def server(service_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    env = {**service_env, "SANIC_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT)}
    with api(env, tmp_path_factory.mktemp("edge") / "api.log") as s:
        yield s


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
    ],
    ids=["request-line", "protocol", "header-line", "content-length"],
)
def test_malformed_requests_are_400(server: Api, request_bytes: bytes) -> None:
    assert_json_error(*raw(server, request_bytes), 400)


def test_body_too_large_is_413(server: Api) -> None:
    request = (
        b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2000000\r\n\r\n{"
    )
    assert_json_error(*raw(server, request), 413)


def test_slow_client_is_408(server: Api) -> None:
    started = time.monotonic()
    status, headers, body = raw(server, b"GET /livez HTTP/1.1\r\nHost: x\r\n", wait=10)
    assert_json_error(status, headers, body, 408)
    assert time.monotonic() - started < REQUEST_TIMEOUT + 3


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

"""Errors that cost little: whatever a body holds, its `400` is a few kB with at most a few
details, found without describing every problem (docs/api.md "Errors"). How long the worker is
held is the bench's to measure (bench/scenarios.py, `junk_*`); here, the size of the answer."""

from __future__ import annotations

import json

import httpx
import pytest

from api.errors import MAX_DETAILS
from tests.helpers import Account, assert_error

SMALL = 4096  # bytes: an error body, whatever the request


def many_keys(size: int = 1024 * 1024 - 64) -> bytes:
    """A JSON object of as many short unknown keys as fit in `size` bytes (~131,000 in 1 MiB)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    parts, used, i = [], 2, 0
    while True:
        name, n = "", i
        while True:
            name, n = letters[n % 52] + name, n // 52
            if not n:
                break
        item = f'"{name}":0'
        if used + len(item) + 1 > size:
            return ("{" + ",".join(parts) + "}").encode()
        parts.append(item)
        used += len(item) + 1
        i += 1


def post(client: httpx.Client, path: str, body: bytes, **headers: str) -> httpx.Response:
    return client.post(path, content=body, headers={"Content-Type": "application/json", **headers})


def test_a_body_of_131000_unknown_keys_gets_a_small_400(client: httpx.Client) -> None:
    """Far more structure than a valid login could hold: refused before it is parsed."""
    body = many_keys()
    assert body.count(b":") > 130_000
    r = post(client, "/v1/auth/login", body)
    error = assert_error(r, 400)
    assert len(r.content) < SMALL, len(r.content)
    assert "details" not in error
    assert error["error"].startswith("the request body is not read"), error


def test_unknown_keys_are_counted_and_the_first_named(client: httpx.Client) -> None:
    """A few dozen unknown keys: parsed, the first MAX_DETAILS named, the count told."""
    keys = [f"k{i}" for i in range(50)]
    r = post(client, "/v1/auth/login", json.dumps(dict.fromkeys(keys, 0)).encode())
    error = assert_error(r, 400)
    assert error["details"] == [{"field": k, "message": "unknown field"} for k in keys[:10]]
    assert "50 problems" in error["error"], error["error"]
    assert "`email`" in error["error"] and "`password`" in error["error"]


def test_the_largest_valid_body_is_read(client: httpx.Client, make_account) -> None:
    """The bound past which a body is not read holds every valid body: here one whose every
    character is a quote, comma, colon or bracket, at every maximum."""
    me: Account = make_account()
    body = {
        "title": "," * 100,
        "content": '"' * 1000,
        "tags": [":" * 31 + str(i % 10) for i in range(100)],
    }
    r = post(client, "/v1/posts", json.dumps(body).encode(), **me.headers)
    assert r.status_code == 201, r.text


def test_unknown_keys_beside_known_ones_are_named(client: httpx.Client) -> None:
    r = post(
        client,
        "/v1/auth/login",
        json.dumps({"email": "a@example.com", "password": "p" * 8, "is_admin": True}).encode(),
    )
    error = assert_error(r, 400, field="is_admin")
    assert error["details"] == [{"field": "is_admin", "message": "unknown field"}]


def test_an_unknown_key_is_echoed_short_and_encodable(client: httpx.Client) -> None:
    # A 100 kB key, and one that is not ASCII.
    body = b'{"' + b"k" * 100_000 + b'":1,"a\\u00e9":2}'
    r = post(client, "/v1/auth/login", body)
    error = assert_error(r, 400)
    assert len(r.content) < SMALL
    assert [len(d["field"]) for d in error["details"]] == [103, 2]


@pytest.mark.parametrize(
    "body",
    [
        [0] * 200_000,  # not an object
        [{}] * 200_000,  # the costliest JSON to parse per byte
        {"title": "t", "content": "c", "tags": [0] * 200_000},  # one field too long
        {"title": [[[]]] * 100_000, "content": {"a": 1}, "tags": "x"},  # wrong types
    ],
    ids=["list", "objects", "long-list", "types"],
)
def test_any_junk_gets_a_small_400(client: httpx.Client, make_account, body: object) -> None:
    me: Account = make_account()
    r = post(client, "/v1/posts", json.dumps(body).encode(), **me.headers)
    error = assert_error(r, 400)
    assert len(r.content) < SMALL, len(r.content)
    assert len(error.get("details", [])) <= MAX_DETAILS


def test_invalid_json_says_where(client: httpx.Client) -> None:
    error = assert_error(post(client, "/v1/auth/login", b'{"email": '), 400)
    assert error["error"].startswith("the request body is not valid JSON")
    assert "details" not in error

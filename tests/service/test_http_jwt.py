"""Every way a bearer token can be wrong: 401 in the contract's shape, nothing else."""

from __future__ import annotations

import base64
import time

import httpx
import jwt
import orjson
import pytest
import redis

from api.cache import user_key
from tests.helpers import Account, Database, access_claims, assert_error, bearer


@pytest.fixture
def sign(service_env: dict[str, str]):
    """Sign claims with the service's own secret (a token it would have issued itself)."""

    def make(user_id: int, secret: str | None = None, algorithm: str = "HS256", **override):
        key = secret if secret is not None else service_env["JWT_SECRET"]
        return jwt.encode(access_claims(user_id, **override), key, algorithm=algorithm)

    return make


def _assert_401(response: httpx.Response) -> None:
    body = assert_error(response, 401)
    assert set(body) == {"error"}
    assert response.headers.get("www-authenticate", "").lower().startswith("bearer")


def _get_me(client: httpx.Client, account: Account, headers: dict[str, str]) -> httpx.Response:
    return client.get(f"/v1/users/{account.id}", headers=headers)


def test_self_signed_valid_token_is_accepted(client: httpx.Client, make_account, sign) -> None:
    # The forgeries below fail for their defect, not for how this file signs tokens.
    me: Account = make_account()
    assert _get_me(client, me, bearer(sign(me.id))).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer  .",
        "bearer  " + "x" * 300,
        "Bearer a.b.c",
        "Basic YWRtaW46YWRtaW4=",
        "Token xyz",
    ],
)
def test_missing_or_garbage_header_is_401(
    client: httpx.Client, make_account, header: str | None
) -> None:
    me: Account = make_account()
    headers = {} if header is None else {"Authorization": header}
    _assert_401(_get_me(client, me, headers))


def test_token_without_scheme_is_401(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    _assert_401(_get_me(client, me, {"Authorization": me.access_token}))


def test_wrong_signature_is_401(client: httpx.Client, make_account, sign) -> None:
    me: Account = make_account()
    _assert_401(_get_me(client, me, bearer(sign(me.id, secret="another-secret-" + "x" * 32))))
    # A valid token with its signature tampered with.
    head, payload, signature = me.access_token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    _assert_401(_get_me(client, me, bearer(f"{head}.{payload}.{flipped}")))


def test_tampered_payload_is_401(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    admin_id = make_account(role="admin").id
    head, payload, signature = me.access_token.split(".")
    claims = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(admin_id)
    forged = base64.urlsafe_b64encode(orjson.dumps(claims)).rstrip(b"=").decode()
    r = client.get(f"/v1/users/{admin_id}", headers=bearer(f"{head}.{forged}.{signature}"))
    _assert_401(r)


def test_expired_token_is_401(client: httpx.Client, make_account, sign) -> None:
    me: Account = make_account()
    now = int(time.time())
    token = sign(me.id, iat=now - 1000, nbf=now - 1000, exp=now - 60)
    _assert_401(_get_me(client, me, bearer(token)))


def test_not_yet_valid_token_is_401(client: httpx.Client, make_account, sign) -> None:
    me: Account = make_account()
    _assert_401(_get_me(client, me, bearer(sign(me.id, nbf=int(time.time()) + 3600))))


@pytest.mark.parametrize(
    "override",
    [
        {"iss": "someone-else"},
        {"aud": "someone-else"},
        {"typ": "refresh"},
        {"typ": "invitation"},
        {"sub": "not-a-number"},
        {"sub": "0"},
        {"sub": "-5"},
        {"sub": "4611686018427387904"},  # well formed, no such user
        {"typ": "ACCESS"},
        {"aud": ["someone-else"]},
        {"iss": "gosocial "},
    ],
)
def test_wrong_claims_are_401(client: httpx.Client, make_account, sign, override) -> None:
    me: Account = make_account()
    _assert_401(_get_me(client, me, bearer(sign(me.id, **override))))


@pytest.mark.parametrize("missing", ["sub", "exp", "iss", "aud", "typ", "jti", "iat", "nbf"])
def test_missing_claims_are_401(client: httpx.Client, make_account, sign, missing: str) -> None:
    me: Account = make_account()
    _assert_401(_get_me(client, me, bearer(sign(me.id, **{missing: None}))))


def test_refresh_token_as_access_token_is_401(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    _assert_401(_get_me(client, me, bearer(me.refresh_token)))
    _assert_401(client.get("/v1/users/feed", headers=bearer(me.refresh_token)))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_algorithm_is_401(client: httpx.Client, make_account, sign) -> None:
    me: Account = make_account()
    token = sign(me.id, algorithm="HS512")  # right key, algorithm not the pinned one
    _assert_401(_get_me(client, me, bearer(token)))


def test_deleted_users_token_is_401(
    client: httpx.Client, make_account, db: Database, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    db.fetch("SELECT api.delete_user(p_user_id => $1)", me.id)
    redis_client.delete(user_key(me.id))
    _assert_401(_get_me(client, me, me.headers))
    _assert_401(client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=me.headers))
    # And its refresh token is gone with it.
    r = client.post("/v1/auth/refresh", json={"refresh_token": me.refresh_token})
    assert_error(r, 401)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/auth/logout", {"refresh_token": "x"}),
        ("GET", "/v1/users/1", None),
        ("PUT", "/v1/users/1/follow", None),
        ("PUT", "/v1/users/1/unfollow", None),
        ("GET", "/v1/users/feed", None),
        ("PUT", "/v1/users/1/role", {"role": "admin"}),
        ("POST", "/v1/posts", {"title": "t", "content": "c"}),
        ("GET", "/v1/posts/1", None),
        ("PATCH", "/v1/posts/1", {"title": "t", "version": 1}),
        ("DELETE", "/v1/posts/1", None),
        ("GET", "/v1/posts/1/comments", None),
        ("POST", "/v1/posts/1/comments", {"content": "c"}),
    ],
)
def test_every_jwt_route_requires_a_token(
    client: httpx.Client, method: str, path: str, body: dict | None
) -> None:
    _assert_401(client.request(method, path, json=body))
    _assert_401(client.request(method, path, json=body, headers=bearer("garbage")))


@pytest.mark.parametrize(
    ("method", "path", "request_input"),
    [
        ("POST", "/v1/auth/logout", {"json": {}}),
        ("PUT", "/v1/users/1/role", {"json": {"role": "owner"}}),
        ("GET", "/v1/users/feed", {"params": {"limit": "0"}}),
        (
            "POST",
            "/v1/posts",
            {"content": b'{"title": ', "headers": {"Content-Type": "application/json"}},
        ),
        ("PATCH", "/v1/posts/1", {"json": {"title": ""}, "headers": {"If-Match": "D"}}),
        ("GET", "/v1/posts/1/comments", {"params": {"limit": "101"}}),
        ("POST", "/v1/posts/1/comments", {"json": {"content": 5}}),
    ],
)
def test_the_token_is_checked_before_the_input(
    client: httpx.Client, method: str, path: str, request_input: dict
) -> None:
    # Without credentials the answer is 401 whatever was sent: no 400 about the input first.
    _assert_401(client.request(method, path, **request_input))

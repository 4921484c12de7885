"""Registration, activation, login, refresh and logout through the real service."""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest

from tests.helpers import Account, Database, assert_error, bearer
from tests.services import Mailbox


def test_register_activate_login_flow(client: httpx.Client, mailbox: Mailbox, db: Database) -> None:
    body = {"username": "Flow.User-1", "email": "flow@example.com", "password": "s3cret pass"}
    r = client.post("/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    user = r.json()["data"]
    assert user["username"] == "Flow.User-1" and user["is_active"] is False
    assert user["role"] == {"id": 1, "name": "user", "level": 1}

    login = {"email": "flow@example.com", "password": "s3cret pass"}
    assert client.post("/v1/auth/login", json=login).status_code == 403

    token = mailbox.activation_token("flow@example.com")
    assert len(token) >= 32
    assert client.put(f"/v1/users/activate/{token}").status_code == 204
    assert client.put(f"/v1/users/activate/{token}").status_code == 404  # single use

    r = client.post("/v1/auth/login", json={**login, "email": "FLOW@example.com"})
    assert r.status_code == 200, r.text
    pair = r.json()["data"]
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900
    me = client.get(
        f"/v1/users/{user['id']}", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["data"]["email"] == "flow@example.com"


# --- register ---------------------------------------------------------------------------------

_n = itertools.count(1)


def _fresh(prefix: str = "reg") -> dict[str, str]:
    n = f"{next(_n)}{uuid.uuid4().hex[:8]}"
    return {
        "username": f"{prefix}_{n}",
        "email": f"{prefix}.{n}@example.com",
        "password": "correct horse",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "bad name"}, "username"),
        ({"username": "semi;colon"}, "username"),
        ({"username": ""}, "username"),
        ({"username": "x" * 101}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@" + "b" * 250 + ".com"}, "email"),
        ({"password": "1234567"}, "password"),  # 7 bytes
        ({"password": "x" * 73}, "password"),  # 73 bytes
        ({"password": "é" * 37}, "password"),  # 37 characters, 74 bytes
        ({"is_admin": True}, "is_admin"),  # unknown field
        ({"username": 12345}, "username"),  # wrong type
        ({"password": None}, "password"),
    ],
)
def test_register_rejects_invalid_input(client: httpx.Client, change: dict, field: str) -> None:
    body = {**_fresh(), **change}
    assert_error(client.post("/v1/auth/register", json=body), 400, field)


def test_register_rejects_missing_fields(client: httpx.Client) -> None:
    body = assert_error(client.post("/v1/auth/register", json={}), 400)
    assert {d["field"] for d in body["details"]} == {"username", "email", "password"}


def test_register_rejects_malformed_json_and_non_objects(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    assert_error(client.post("/v1/auth/register", content=b'{"username": ', headers=headers), 400)
    assert_error(client.post("/v1/auth/register", content=b"[1, 2]", headers=headers), 400)
    assert_error(client.post("/v1/auth/register", content=b'"text"', headers=headers), 400)


def test_register_body_over_one_mebibyte_is_413(client: httpx.Client) -> None:
    body = {**_fresh(), "padding": "x" * (1024 * 1024)}
    assert_error(client.post("/v1/auth/register", json=body), 413)


def test_register_password_limits_are_bytes(client: httpx.Client) -> None:
    for password in ("12345678", "x" * 72, "é" * 36):  # 8, 72, 72 bytes
        r = client.post("/v1/auth/register", json={**_fresh(), "password": password})
        assert r.status_code == 201, r.text


def test_register_answers_an_inactive_user(client: httpx.Client, db: Database) -> None:
    body = _fresh()
    r = client.post("/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    user = r.json()["data"]
    assert set(user) == {
        "id",
        "username",
        "email",
        "created_at",
        "is_active",
        "role",
        "followers_count",
        "following_count",
        "posts_count",
    }
    assert user["username"] == body["username"] and user["email"] == body["email"]
    assert user["is_active"] is False
    assert "password" not in r.text and "hash" not in r.text
    stored = db.fetchval("SELECT password_hash FROM social.users WHERE id = $1", user["id"])
    assert stored.startswith("$2") and body["password"] not in stored


def test_register_duplicate_username_is_409_case_insensitively(client: httpx.Client) -> None:
    first = _fresh("Dup")
    assert client.post("/v1/auth/register", json=first).status_code == 201
    again = {**_fresh(), "username": first["username"].upper()}
    assert_error(client.post("/v1/auth/register", json=again), 409)
    again = {**_fresh(), "username": first["username"].lower()}
    assert_error(client.post("/v1/auth/register", json=again), 409)


def test_register_duplicate_email_is_409_case_insensitively(client: httpx.Client) -> None:
    first = _fresh("mail")
    first["email"] = first["email"].replace("mail.", "Mixed.Case.")
    assert client.post("/v1/auth/register", json=first).status_code == 201
    again = {**_fresh(), "email": first["email"].lower()}
    assert_error(client.post("/v1/auth/register", json=again), 409)
    again = {**_fresh(), "email": first["email"].upper()}
    assert_error(client.post("/v1/auth/register", json=again), 409)


def test_register_mail_failure_is_500_and_keeps_nothing(
    client: httpx.Client, db: Database, mailbox: Mailbox
) -> None:
    body = _fresh()
    bounced = {**body, "email": f"bounce.{body['email']}"}
    body_500 = assert_error(client.post("/v1/auth/register", json=bounced), 500)
    assert "Traceback" not in body_500["error"] and "SMTP" not in body_500["error"]
    assert (
        db.fetchval(
            "SELECT count(*) FROM social.users WHERE lower(username) = lower($1) "
            "OR lower(email) = lower($2)",
            body["username"],
            bounced["email"],
        )
        == 0
    )
    # The username is free again, and so is the account's normal life.
    r = client.post("/v1/auth/register", json=body)
    assert r.status_code == 201, r.text
    token = mailbox.activation_token(body["email"])
    assert client.put(f"/v1/users/activate/{token}").status_code == 204


# --- activate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    # Fixed values: parallel workers must collect the same test ids.
    ["garbage", "a" * 43, "x" * 200, "%20" * 40, "k3Vq9Zt0bW-4rYx_8uNcP2eLh7sJmA6dQfGiTo1vXyE"],
)
def test_activate_unknown_token_is_404(client: httpx.Client, token: str) -> None:
    assert_error(client.put(f"/v1/users/activate/{token}"), 404)


def test_activate_used_token_is_404(client: httpx.Client, mailbox: Mailbox) -> None:
    body = _fresh()
    assert client.post("/v1/auth/register", json=body).status_code == 201
    token = mailbox.activation_token(body["email"])
    r = client.put(f"/v1/users/activate/{token}")
    assert r.status_code == 204 and r.content == b""
    assert_error(client.put(f"/v1/users/activate/{token}"), 404)


def test_activate_expired_token_is_404(
    client: httpx.Client, mailbox: Mailbox, db: Database
) -> None:
    body = _fresh()
    r = client.post("/v1/auth/register", json=body)
    user_id = r.json()["data"]["id"]
    token = mailbox.activation_token(body["email"])
    db.fetch(
        "UPDATE social.invitations SET expires_at = now() - interval '1 second' WHERE user_id = $1",
        user_id,
    )
    assert_error(client.put(f"/v1/users/activate/{token}"), 404)
    # Not activated; the invitation sweeper may already have removed the user altogether.
    assert not db.fetchval("SELECT is_active FROM social.users WHERE id = $1", user_id)
    login = {"email": body["email"], "password": body["password"]}
    assert client.post("/v1/auth/login", json=login).status_code in (401, 403)


# --- login ------------------------------------------------------------------------------------


def test_login_answers_a_token_pair(client: httpx.Client, make_account) -> None:
    account: Account = make_account()
    r = client.post("/v1/auth/login", json={"email": account.email, "password": account.password})
    assert r.status_code == 200, r.text
    pair = r.json()["data"]
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "Bearer" and pair["expires_in"] == 900
    assert pair["access_token"] != pair["refresh_token"]
    assert client.get(f"/v1/users/{account.id}", headers=bearer(pair["access_token"])).is_success


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "someone@example.com"},
        {"password": "correct horse"},
        {"email": "someone@example.com", "password": "correct horse", "extra": 1},
        {"email": 1, "password": "correct horse"},
        {"email": "someone@example.com", "password": ["correct horse"]},
        {"email": "someone@example.com", "password": "é" * 37},  # 74 bytes: bcrypt's limit
        {"email": "someone@example.com", "password": "x" * 73},
    ],
)
def test_login_rejects_invalid_input(client: httpx.Client, body: dict) -> None:
    assert_error(client.post("/v1/auth/login", json=body), 400)


def test_login_rejects_malformed_json(client: httpx.Client) -> None:
    r = client.post(
        "/v1/auth/login", content=b"{'email': 1}", headers={"Content-Type": "application/json"}
    )
    assert_error(r, 400)


def test_login_wrong_password_is_401_and_inactive_is_403(
    client: httpx.Client, make_account
) -> None:
    account: Account = make_account()
    assert_error(
        client.post("/v1/auth/login", json={"email": account.email, "password": "nope nope"}),
        401,
    )
    body = _fresh()
    assert client.post("/v1/auth/register", json=body).status_code == 201
    inactive = assert_error(
        client.post("/v1/auth/login", json={"email": body["email"], "password": "wrong pass"}),
        401,
    )
    assert "activ" not in inactive["error"]  # a wrong password reveals nothing about the account
    assert_error(
        client.post("/v1/auth/login", json={"email": body["email"], "password": body["password"]}),
        403,
    )


# --- refresh ----------------------------------------------------------------------------------


def _refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/v1/auth/refresh", json={"refresh_token": token})


def test_refresh_rotates_the_pair(client: httpx.Client, make_account) -> None:
    account: Account = make_account()
    r = _refresh(client, account.refresh_token)
    assert r.status_code == 200, r.text
    pair = r.json()["data"]
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "Bearer"
    assert pair["refresh_token"] != account.refresh_token
    assert pair["access_token"] != account.access_token
    assert client.get(f"/v1/users/{account.id}", headers=bearer(pair["access_token"])).is_success
    # The new refresh token works once more.
    assert _refresh(client, pair["refresh_token"]).status_code == 200


def test_refresh_token_reuse_revokes_the_whole_family(
    client: httpx.Client, make_account, db: Database
) -> None:
    account: Account = make_account()
    second = _refresh(client, account.refresh_token).json()["data"]["refresh_token"]
    third = _refresh(client, second).json()["data"]["refresh_token"]
    # `account.refresh_token` was retired: presenting it again is theft.
    assert_error(_refresh(client, account.refresh_token), 401)
    # ... so the newest token of that login stops working too.
    assert_error(_refresh(client, third), 401)
    assert (
        db.fetchval(
            "SELECT count(*) FROM social.refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL",
            account.id,
        )
        == 0
    )


def test_refresh_reuse_leaves_other_logins_alone(client: httpx.Client, make_account) -> None:
    account: Account = make_account()
    other = client.post(
        "/v1/auth/login", json={"email": account.email, "password": account.password}
    ).json()["data"]["refresh_token"]
    assert _refresh(client, account.refresh_token).status_code == 200
    assert_error(_refresh(client, account.refresh_token), 401)
    assert _refresh(client, other).status_code == 200


def test_refresh_rejects_access_tokens_and_garbage(client: httpx.Client, make_account) -> None:
    account: Account = make_account()
    assert_error(_refresh(client, account.access_token), 401)
    assert_error(_refresh(client, "not.a.token"), 401)
    assert_error(_refresh(client, account.refresh_token + "x"), 401)
    # A failed attempt does not spend the real token.
    assert _refresh(client, account.refresh_token).status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"refresh_token": ""}, {"refresh_token": 5}, {"refresh_token": "a", "x": 1}]
)
def test_refresh_rejects_invalid_input(client: httpx.Client, body: dict) -> None:
    assert_error(client.post("/v1/auth/refresh", json=body), 400)


# --- logout -----------------------------------------------------------------------------------


def test_logout_revokes_the_login(client: httpx.Client, make_account) -> None:
    account: Account = make_account()
    newer = _refresh(client, account.refresh_token).json()["data"]
    r = client.post(
        "/v1/auth/logout",
        json={"refresh_token": newer["refresh_token"]},
        headers=bearer(newer["access_token"]),
    )
    assert r.status_code == 204 and r.content == b""
    assert_error(_refresh(client, newer["refresh_token"]), 401)


def test_logout_requires_a_jwt(client: httpx.Client, make_account) -> None:
    account: Account = make_account()
    r = client.post("/v1/auth/logout", json={"refresh_token": account.refresh_token})
    assert_error(r, 401)
    assert r.headers.get("www-authenticate", "").startswith("Bearer")
    # Nothing was revoked.
    assert _refresh(client, account.refresh_token).status_code == 200

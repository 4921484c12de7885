"""Registration, activation, login, refresh and logout through the real service."""

from __future__ import annotations

import httpx

from tests.conftest import Account, Database
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


def test_login_failures_share_one_answer(client: httpx.Client, make_account) -> None:
    account: Account = make_account()
    unknown = client.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": "whatever1"}
    )
    wrong = client.post(
        "/v1/auth/login", json={"email": account.email, "password": "wrong password"}
    )
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()

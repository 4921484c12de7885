"""The caller's own account and the password reset, through the real service and real SMTP:
`POST /v1/auth/password/forgot` and `/reset`, `PUT /v1/users/me/password`, `DELETE
/v1/users/me`, and the token epoch that ends every earlier session."""

from __future__ import annotations

import hashlib
import itertools
import time
import uuid

import httpx
import pytest

from tests.helpers import Account, Database, assert_error, bearer, create_post
from tests.services import Mailbox

_n = itertools.count(1)
FORGOT = "/v1/auth/password/forgot"
RESET = "/v1/auth/password/reset"


def _login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def _forgot(client: httpx.Client, email: str) -> httpx.Response:
    r = client.post(FORGOT, json={"email": email})
    assert r.status_code == 202, r.text
    return r


def _reset_token(client: httpx.Client, mailbox: Mailbox, account: Account) -> str:
    before = len(mailbox.link_tokens(account.email, "reset-password", count=0))
    _forgot(client, account.email)
    return mailbox.link_tokens(account.email, "reset-password", count=before + 1)[-1]


def _unknown_address() -> str:
    return f"nobody{next(_n)}.{uuid.uuid4().hex[:8]}@example.com"


# --- forgot -----------------------------------------------------------------------------------


def test_forgot_mails_an_active_account_a_reset_link(
    client: httpx.Client, make_account, mailbox: Mailbox, base_url: str, db: Database
) -> None:
    me: Account = make_account()
    r = _forgot(client, me.email.upper())  # addresses compare case-insensitively
    assert r.json() == {
        "data": {
            "message": "if an active account has this address, a password reset link is on its way"
        }
    }
    [token] = mailbox.link_tokens(me.email, "reset-password")
    assert len(token) >= 32
    [message] = [m for m in mailbox.sent_to(me.email) if "reset-password" in str(m.get_body())]
    assert "password" in message["Subject"].lower() and me.username in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # FRONTEND_URL is not set: the link leads to the service's own page.
    link = f"{base_url}/reset-password/{token}"
    assert link in text and f'href="{link}"' in html
    # Stored as a hash only.
    stored = db.fetchval("SELECT token_hash FROM social.password_resets WHERE user_id = $1", me.id)
    assert stored == hashlib.sha256(token.encode()).digest()


def test_forgot_answers_every_address_alike_and_mails_only_active_accounts(
    client: httpx.Client, mailbox: Mailbox, make_account
) -> None:
    n = next(_n)
    inactive = f"inactive{n}.{uuid.uuid4().hex[:6]}@example.com"
    r = client.post(
        "/v1/auth/register",
        json={"username": f"inactive_{n}_{uuid.uuid4().hex[:6]}", "email": inactive,
              "password": "correct horse"},
    )  # fmt: skip
    assert r.status_code == 201
    known: Account = make_account()
    unknown = _unknown_address()
    answers = [_forgot(client, address) for address in (unknown, inactive, known.email)]
    assert len({(a.status_code, a.content) for a in answers}) == 1
    assert {a.headers["content-type"] for a in answers} == {"application/json"}
    # The known account's mail arrives (sent after the others' would have been): none for them.
    mailbox.link_tokens(known.email, "reset-password")
    time.sleep(0.3)
    assert mailbox.sent_to(unknown) == []
    assert [m for m in mailbox.sent_to(inactive) if "reset-password" in str(m.get_body())] == []


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-address"},
        {"email": ""},
        {"email": "a@" + "b" * 250 + ".com"},
        {"email": 42},
        {},
        {"email": "x@example.com", "extra": True},
    ],
)
def test_forgot_refuses_malformed_input(client: httpx.Client, body: dict) -> None:
    field = "extra" if "extra" in body else "email"
    assert_error(client.post(FORGOT, json=body), 400, field)


def test_forgot_refuses_a_body_that_is_not_json(client: httpx.Client) -> None:
    r = client.post(FORGOT, content=b"email=x", headers={"Content-Type": "text/plain"})
    assert_error(r, 415)


# --- reset ------------------------------------------------------------------------------------


def test_reset_sets_the_password_and_ends_every_session(
    client: httpx.Client, make_account, mailbox: Mailbox
) -> None:
    me: Account = make_account()
    other_login = _login(client, me.email, me.password).json()["data"]
    bystander: Account = make_account()
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200  # cached
    token = _reset_token(client, mailbox, me)

    r = client.post(RESET, json={"token": token, "password": "a brand new secret"})
    assert r.status_code == 204 and r.content == b""
    # Every access token issued before is refused at once, every refresh token revoked.
    assert_error(client.get("/v1/users/me", headers=me.headers), 401)
    assert_error(client.get("/v1/users/feed", headers=bearer(other_login["access_token"])), 401)
    for refresh in (me.refresh_token, other_login["refresh_token"]):
        assert_error(client.post("/v1/auth/refresh", json={"refresh_token": refresh}), 401)
    # The new password logs in, the old one does not.
    assert_error(_login(client, me.email, me.password), 401)
    r = _login(client, me.email, "a brand new secret")
    assert r.status_code == 200
    assert (
        client.get("/v1/users/me", headers=bearer(r.json()["data"]["access_token"])).json()["data"][
            "id"
        ]
        == me.id
    )
    # The link is single use.
    body = assert_error(client.post(RESET, json={"token": token, "password": "third secret"}), 400)
    assert body["error"] == "this reset link is unknown, used or expired"
    assert _login(client, me.email, "a brand new secret").status_code == 200
    # Nobody else was touched.
    assert client.get("/v1/users/me", headers=bystander.headers).status_code == 200


def test_a_newer_request_voids_the_older_link(
    client: httpx.Client, make_account, mailbox: Mailbox
) -> None:
    me: Account = make_account()
    # Each link is waited for before the next request: mail goes out after the answer, so two
    # mails sent moments apart may arrive in either order.
    _forgot(client, me.email)
    [older] = mailbox.link_tokens(me.email, "reset-password")
    _forgot(client, me.email)
    newer = mailbox.link_tokens(me.email, "reset-password", count=2)[-1]
    assert older != newer
    assert_error(client.post(RESET, json={"token": older, "password": "another secret"}), 400)
    assert _login(client, me.email, me.password).status_code == 200  # unchanged
    assert (
        client.post(RESET, json={"token": newer, "password": "another secret"}).status_code == 204
    )
    assert _login(client, me.email, "another secret").status_code == 200


def test_an_expired_link_is_refused(
    client: httpx.Client, make_account, mailbox: Mailbox, db: Database
) -> None:
    me: Account = make_account()
    token = _reset_token(client, mailbox, me)
    db.fetch(
        "UPDATE social.password_resets SET expires_at = now() - interval '1 second' "
        "WHERE user_id = $1",
        me.id,
    )
    assert_error(client.post(RESET, json={"token": token, "password": "another secret"}), 400)
    assert _login(client, me.email, me.password).status_code == 200
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200


def test_reset_expiry_follows_password_reset_ttl(
    client: httpx.Client, make_account, mailbox: Mailbox, db: Database
) -> None:
    me: Account = make_account()
    _reset_token(client, mailbox, me)
    seconds = db.fetchval(
        "SELECT extract(epoch FROM expires_at - now()) FROM social.password_resets "
        "WHERE user_id = $1",
        me.id,
    )
    assert 3500 < seconds <= 3600


def test_a_refused_password_keeps_the_link_usable(
    client: httpx.Client, make_account, mailbox: Mailbox
) -> None:
    me: Account = make_account()
    token = _reset_token(client, mailbox, me)
    for password in ("short", "x" * 73, "é" * 37):
        assert_error(
            client.post(RESET, json={"token": token, "password": password}), 400, "password"
        )
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200
    assert client.post(RESET, json={"token": token, "password": "long enough"}).status_code == 204


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"token": "A" * 43, "password": "long enough"}, None),  # unknown
        ({"token": "short", "password": "long enough"}, "token"),
        ({"token": "A" * 42 + "!", "password": "long enough"}, "token"),
        ({"password": "long enough"}, "token"),
        ({"token": "A" * 43}, "password"),
        ({"token": "A" * 43, "password": "long enough", "extra": 1}, "extra"),
    ],
)
def test_reset_refuses_bad_input(client: httpx.Client, body: dict, field: str | None) -> None:
    assert_error(client.post(RESET, json=body), 400, field)


# --- change -----------------------------------------------------------------------------------

PASSWORD = "/v1/users/me/password"


def test_change_password_gives_a_new_pair_and_ends_every_other_session(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    other = _login(client, me.email, me.password).json()["data"]
    r = client.put(
        PASSWORD,
        json={"current_password": me.password, "password": "a changed secret"},
        headers=me.headers,
    )
    assert r.status_code == 200, r.text
    pair = r.json()["data"]
    assert set(pair) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert pair["token_type"] == "Bearer"
    # The new pair works; every token issued before does not.
    assert client.get("/v1/users/me", headers=bearer(pair["access_token"])).status_code == 200
    for access in (me.access_token, other["access_token"]):
        assert_error(client.get("/v1/users/me", headers=bearer(access)), 401)
    for refresh in (me.refresh_token, other["refresh_token"]):
        assert_error(client.post("/v1/auth/refresh", json={"refresh_token": refresh}), 401)
    r = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 200
    assert (
        client.get("/v1/users/me", headers=bearer(r.json()["data"]["access_token"])).status_code
        == 200
    )
    assert_error(_login(client, me.email, me.password), 401)
    assert _login(client, me.email, "a changed secret").status_code == 200


def test_change_password_with_a_wrong_current_password_changes_nothing(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    r = client.put(
        PASSWORD,
        json={"current_password": "not my password", "password": "a changed secret"},
        headers=me.headers,
    )
    assert_error(r, 403)
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200
    assert (
        client.post("/v1/auth/refresh", json={"refresh_token": me.refresh_token}).status_code == 200
    )
    assert _login(client, me.email, me.password).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "correct horse", "password": "short"}, "password"),
        ({"current_password": "correct horse", "password": "é" * 37}, "password"),
        ({"current_password": "correct horse"}, "password"),
        ({"password": "a changed secret"}, "current_password"),
        ({"current_password": "", "password": "a changed secret"}, "current_password"),
        ({"current_password": "correct horse", "password": "a changed secret", "x": 1}, "x"),
    ],
)
def test_change_password_refuses_bad_input(
    client: httpx.Client, make_account, body: dict, field: str
) -> None:
    me: Account = make_account()
    assert_error(client.put(PASSWORD, json=body, headers=me.headers), 400, field)
    assert _login(client, me.email, me.password).status_code == 200


def test_own_account_routes_need_a_token(client: httpx.Client) -> None:
    body = {"current_password": "correct horse", "password": "a changed secret"}
    assert_error(client.put(PASSWORD, json=body), 401)
    assert_error(client.request("DELETE", "/v1/users/me", json={"password": "x" * 10}), 401)


# --- delete -----------------------------------------------------------------------------------


def test_delete_me_removes_the_account_and_everything_it_made(
    client: httpx.Client, make_account, db: Database, mailbox: Mailbox
) -> None:
    me: Account = make_account()
    friend: Account = make_account()
    post = create_post(client, me, "going away")
    friends_post = create_post(client, friend, "staying")
    r = client.post(
        f"/v1/posts/{friends_post['id']}/comments", json={"content": "bye"}, headers=me.headers
    )
    assert r.status_code == 201
    assert client.put(f"/v1/users/{friend.id}/follow", headers=me.headers).status_code == 204
    assert client.put(f"/v1/users/{me.id}/follow", headers=friend.headers).status_code == 204
    _reset_token(client, mailbox, me)
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200  # cached

    r = client.request("DELETE", "/v1/users/me", json={"password": me.password}, headers=me.headers)
    assert r.status_code == 204 and r.content == b""
    # Its token is refused at once; it is gone for everyone else.
    assert_error(client.get("/v1/users/me", headers=me.headers), 401)
    assert_error(client.post("/v1/auth/refresh", json={"refresh_token": me.refresh_token}), 401)
    assert_error(_login(client, me.email, me.password), 401)
    assert_error(client.get(f"/v1/users/{me.id}", headers=friend.headers), 404)
    assert_error(client.get(f"/v1/posts/{post['id']}", headers=friend.headers), 404)
    r = client.get(f"/v1/posts/{friends_post['id']}", headers=friend.headers)
    assert r.json()["data"]["comments_count"] == 0
    feed = client.get("/v1/users/feed", headers=friend.headers).json()["data"]
    assert [p["id"] for p in feed if p["user_id"] == me.id] == []
    for table, column in (
        ("users", "id"),
        ("posts", "user_id"),
        ("comments", "user_id"),
        ("followers", "user_id"),
        ("followers", "follower_id"),
        ("refresh_tokens", "user_id"),
        ("password_resets", "user_id"),
    ):
        count = db.fetchval(f"SELECT count(*) FROM social.{table} WHERE {column} = $1", me.id)
        assert count == 0, table
    # The username and the email are free again.
    r = client.post(
        "/v1/auth/register",
        json={"username": me.username, "email": me.email, "password": "correct horse"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["data"]["id"] != me.id


def test_delete_me_with_a_wrong_password_deletes_nothing(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    r = client.request(
        "DELETE", "/v1/users/me", json={"password": "wrong password"}, headers=me.headers
    )
    assert_error(r, 403)
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200
    assert _login(client, me.email, me.password).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "password"), ({"password": ""}, "password"), ({"password": "x" * 73}, "password"),
     ({"password": "correct horse", "also": 1}, "also")],
)  # fmt: skip
def test_delete_me_refuses_bad_input(
    client: httpx.Client, make_account, body: dict, field: str
) -> None:
    me: Account = make_account()
    assert_error(
        client.request("DELETE", "/v1/users/me", json=body, headers=me.headers), 400, field
    )
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200


def test_delete_me_needs_a_body(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    assert_error(client.delete("/v1/users/me", headers=me.headers), 400, "password")
    assert client.get("/v1/users/me", headers=me.headers).status_code == 200

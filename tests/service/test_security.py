"""Hostile clients: forged tokens, other users' resources, mass assignment, what answers reveal,
what the database stores of tokens, and what the logs of the whole run contain."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from pathlib import Path

import httpx
import jwt
import orjson
import pytest
import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.cache import user_key
from tests import leakcheck
from tests.helpers import (
    APP_PASSWORD,
    Account,
    Database,
    access_claims,
    assert_error,
    bearer,
    create_post,
)
from tests.services import Mailbox

# --------------------------------------------------------------------------------------------
# Forged JWTs


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs256(header: dict[str, object], claims: dict[str, object], key: bytes | None) -> str:
    """A JWT built by hand (PyJWT refuses some of these keys); `None`: no signature at all."""
    signing_input = f"{_b64(orjson.dumps(header))}.{_b64(orjson.dumps(claims))}"
    if key is None:
        return f"{signing_input}."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def secret(service_env: dict[str, str]) -> bytes:
    return service_env["JWT_SECRET"].encode()


def _me(client: httpx.Client, account: Account, token: str) -> httpx.Response:
    return client.get(f"/v1/users/{account.id}", headers=bearer(token))


def _assert_401(response: httpx.Response) -> None:
    body = assert_error(response, 401)
    assert set(body) == {"error"}, body


def test_hand_built_token_with_the_right_key_is_accepted(
    client: httpx.Client, make_account, secret: bytes
) -> None:
    # Control: the forgeries below fail for their defect, not for how they are built.
    me: Account = make_account()
    token = _hs256({"alg": "HS256", "typ": "JWT"}, access_claims(me.id), secret)
    assert _me(client, me, token).status_code == 200


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none_is_401(client: httpx.Client, make_account, alg: str) -> None:
    me: Account = make_account()
    _assert_401(_me(client, me, _hs256({"alg": alg, "typ": "JWT"}, access_claims(me.id), None)))
    # With some signature bytes present too.
    token = _hs256({"alg": alg, "typ": "JWT"}, access_claims(me.id), None) + _b64(b"x" * 32)
    _assert_401(_me(client, me, token))


def test_rs256_token_signed_with_a_generated_key_is_401(
    client: httpx.Client, make_account, rsa_key: rsa.RSAPrivateKey
) -> None:
    me: Account = make_account()
    _assert_401(_me(client, me, jwt.encode(access_claims(me.id), rsa_key, algorithm="RS256")))


def test_hs256_token_keyed_with_a_public_key_pem_is_401(
    client: httpx.Client, make_account, rsa_key: rsa.RSAPrivateKey
) -> None:
    # The classic HS/RS confusion: a verifier that took its key from the token's `alg` would
    # check this HMAC with the public key as the secret, and accept it.
    me: Account = make_account()
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ssh = rsa_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    for key in (pem, pem.strip(), ssh):
        token = _hs256({"alg": "HS256", "typ": "JWT"}, access_claims(me.id), key)
        _assert_401(_me(client, me, token))
    # And announced as RS256 while carrying an HMAC.
    token = _hs256({"alg": "RS256", "typ": "JWT"}, access_claims(me.id), pem)
    _assert_401(_me(client, me, token))


def test_token_signed_with_another_key_is_401(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    other = b"another-service-secret-0123456789-abcdef"
    _assert_401(
        _me(client, me, _hs256({"alg": "HS256", "typ": "JWT"}, access_claims(me.id), other))
    )
    _assert_401(_me(client, me, _hs256({"alg": "HS256", "typ": "JWT"}, access_claims(me.id), b"")))
    ec_key = ec.generate_private_key(ec.SECP256R1())
    _assert_401(_me(client, me, jwt.encode(access_claims(me.id), ec_key, algorithm="ES256")))


def test_header_tricks_do_not_choose_the_key(
    client: httpx.Client, make_account, rsa_key: rsa.RSAPrivateKey
) -> None:
    me: Account = make_account()
    # `kid` pointing at an empty file, `jwk` embedding the attacker's own key, `jku` a URL.
    _assert_401(
        _me(
            client,
            me,
            _hs256({"alg": "HS256", "kid": "../../../dev/null"}, access_claims(me.id), b""),
        )
    )
    jwk = orjson.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    token = jwt.encode(access_claims(me.id), rsa_key, algorithm="RS256", headers={"jwk": jwk})
    _assert_401(_me(client, me, token))
    token = jwt.encode(
        access_claims(me.id), rsa_key, algorithm="RS256", headers={"jku": "http://127.0.0.1:1/k"}
    )
    _assert_401(_me(client, me, token))


def test_tokens_of_a_deactivated_user_are_401(
    client: httpx.Client, make_account, db: Database, redis_client: redis.Redis
) -> None:
    me: Account = make_account()
    assert _me(client, me, me.access_token).status_code == 200  # cached as active
    db.fetch("UPDATE social.users SET is_active = false WHERE id = $1", me.id)
    redis_client.delete(user_key(me.id))
    _assert_401(_me(client, me, me.access_token))
    _assert_401(client.get("/v1/users/feed", headers=me.headers))
    _assert_401(client.post("/v1/auth/refresh", json={"refresh_token": me.refresh_token}))
    # Logging in again does not bring a usable token either.
    r = client.post("/v1/auth/login", json={"email": me.email, "password": me.password})
    assert_error(r, 403)


def test_ops_routes_refuse_bearer_tokens_and_bad_basic(client: httpx.Client, make_account) -> None:
    admin: Account = make_account(role="admin")
    for headers in (
        admin.headers,
        {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode()},
    ):
        for path in ("/v1/health", "/v1/debug/vars"):
            r = client.get(path, headers=headers)
            assert_error(r, 401)
            assert r.headers["www-authenticate"].lower().startswith("basic")


# --------------------------------------------------------------------------------------------
# BOLA: other users' resources


def _post_row(db: Database, post_id: int) -> dict | None:
    rows = db.fetch("SELECT title, content, version FROM social.posts WHERE id = $1", post_id)
    return dict(rows[0]) if rows else None


def test_user_cannot_edit_or_delete_anothers_post(
    client: httpx.Client, make_account, db: Database
) -> None:
    owner: Account = make_account()
    intruder: Account = make_account()
    post = create_post(client, owner, "mine")
    before = _post_row(db, post["id"])
    r = client.patch(
        f"/v1/posts/{post['id']}", json={"title": "pwned", "version": 1}, headers=intruder.headers
    )
    assert_error(r, 403)
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"content": "pwned"},
        headers={**intruder.headers, "If-Match": '"1"'},
    )
    assert_error(r, 403)
    assert_error(client.delete(f"/v1/posts/{post['id']}", headers=intruder.headers), 403)
    assert _post_row(db, post["id"]) == before
    # A moderator may edit it (docs/api.md, Roles) but not delete it.
    moderator: Account = make_account(role="moderator")
    assert_error(client.delete(f"/v1/posts/{post['id']}", headers=moderator.headers), 403)
    assert _post_row(db, post["id"]) == before


def test_user_cannot_read_anothers_email(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    other: Account = make_account()
    moderator: Account = make_account(role="moderator")
    for reader in (me, moderator):
        r = client.get(f"/v1/users/{other.id}", headers=reader.headers)
        assert r.status_code == 200
        assert "email" not in r.json()["data"]
        assert other.email not in r.text and other.email.lower() not in r.text.lower()
    # Nor through a post or comment of theirs.
    post = create_post(client, other, "with author")
    client.post(
        f"/v1/posts/{post['id']}/comments", json={"content": "hi"}, headers=other.headers
    ).raise_for_status()
    for path in (f"/v1/posts/{post['id']}", f"/v1/posts/{post['id']}/comments"):
        r = client.get(path, headers=me.headers)
        assert r.status_code == 200 and other.email not in r.text


def test_logout_with_someone_elses_refresh_token_is_401_and_revokes_nothing(
    client: httpx.Client, make_account, db: Database
) -> None:
    victim: Account = make_account()
    attacker: Account = make_account()
    r = client.post(
        "/v1/auth/logout", json={"refresh_token": victim.refresh_token}, headers=attacker.headers
    )
    assert_error(r, 401)
    revoked = db.fetchval(
        "SELECT count(*) FROM social.refresh_tokens WHERE user_id = $1 AND revoked_at IS NOT NULL",
        victim.id,
    )
    assert revoked == 0
    r = client.post("/v1/auth/refresh", json={"refresh_token": victim.refresh_token})
    assert r.status_code == 200, r.text
    r = client.post("/v1/auth/logout", json={"refresh_token": "unknown"}, headers=attacker.headers)
    assert_error(r, 401)


def test_follow_cannot_be_made_on_behalf_of_someone_else(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    victim: Account = make_account()
    target: Account = make_account()
    r = client.put(
        f"/v1/users/{target.id}/follow",
        params={"follower_id": victim.id, "user_id": victim.id},
        json={"follower_id": victim.id},
        headers=me.headers,
    )
    assert r.status_code in (204, 400), r.text
    rows = db.fetch(
        "SELECT follower_id FROM social.followers WHERE user_id = $1 ORDER BY 1", target.id
    )
    assert victim.id not in [row["follower_id"] for row in rows]
    # Unfollow likewise acts for the caller only.
    assert client.put(f"/v1/users/{target.id}/follow", headers=victim.headers).status_code == 204
    client.put(
        f"/v1/users/{target.id}/unfollow",
        params={"follower_id": victim.id},
        headers=me.headers,
    )
    followers = db.fetch("SELECT follower_id FROM social.followers WHERE user_id = $1", target.id)
    assert victim.id in [row["follower_id"] for row in followers]


# --------------------------------------------------------------------------------------------
# Mass assignment: unknown fields are refused (docs/api.md: an unknown field is 400)


@pytest.mark.parametrize(
    "extra",
    [
        {"id": 1},
        {"user_id": 1},
        {"version": 7},
        {"comments_count": 99},
        {"created_at": "2000-01-01T00:00:00+00:00"},
        {"user": {"id": 1, "username": "x"}},
    ],
    ids=lambda e: next(iter(e)),
)
def test_post_create_refuses_server_owned_fields(
    client: httpx.Client, make_account, db: Database, extra: dict
) -> None:
    me: Account = make_account()
    victim: Account = make_account()
    extra = {k: victim.id if k == "user_id" else v for k, v in extra.items()}
    r = client.post("/v1/posts", json={"title": "t", "content": "c", **extra}, headers=me.headers)
    assert_error(r, 400, field=next(iter(extra)))
    count = db.fetchval(
        "SELECT count(*) FROM social.posts WHERE user_id = ANY($1)", [me.id, victim.id]
    )
    assert count == 0


@pytest.mark.parametrize(
    "extra",
    [{"id": 1}, {"user_id": 1}, {"comments_count": 0}, {"updated_at": "2000-01-01T00:00:00Z"}],
    ids=lambda e: next(iter(e)),
)
def test_post_update_refuses_server_owned_fields(
    client: httpx.Client, make_account, db: Database, extra: dict
) -> None:
    me: Account = make_account()
    post = create_post(client, me, "original")
    r = client.patch(
        f"/v1/posts/{post['id']}", json={"title": "x", "version": 1, **extra}, headers=me.headers
    )
    assert_error(r, 400, field=next(iter(extra)))
    assert _post_row(db, post["id"]) == {
        "title": "original",
        "content": post["content"],
        "version": 1,
    }


def test_comment_refuses_owner_and_post_fields(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    victim: Account = make_account()
    post = create_post(client, me)
    for extra in ({"user_id": victim.id}, {"post_id": post["id"] + 1}, {"id": 1}):
        r = client.post(
            f"/v1/posts/{post['id']}/comments", json={"content": "c", **extra}, headers=me.headers
        )
        assert_error(r, 400, field=next(iter(extra)))


@pytest.mark.parametrize(
    "extra",
    [
        {"role": "admin"},
        {"role": {"id": 3, "name": "admin", "level": 3}},
        {"role_id": 3},
        {"is_active": True},
        {"id": 1},
    ],
    ids=lambda e: next(iter(e)),
)
def test_register_refuses_role_and_activity(
    client: httpx.Client, db: Database, mailbox: Mailbox, extra: dict
) -> None:
    name = f"mass{uuid.uuid4().hex[:12]}"
    body = {"username": name, "email": f"{name}@example.com", "password": "a password", **extra}
    r = client.post("/v1/auth/register", json=body)
    assert_error(r, 400, field=next(iter(extra)))
    assert db.fetchval("SELECT count(*) FROM social.users WHERE username = $1", name) == 0
    assert not [m for m in mailbox.messages if m["To"] == body["email"]]


def test_role_body_refuses_a_target_user(client: httpx.Client, make_account, db: Database) -> None:
    admin: Account = make_account(role="admin")
    me: Account = make_account()
    other: Account = make_account()
    r = client.put(
        f"/v1/users/{me.id}/role",
        json={"role": "moderator", "user_id": other.id},
        headers=admin.headers,
    )
    assert_error(r, 400, field="user_id")
    assert db.fetchval("SELECT role_id FROM social.users WHERE id = $1", other.id) == 1


# --------------------------------------------------------------------------------------------
# What login and registration answers reveal


def _comparable(response: httpx.Response) -> tuple[int, bytes, dict[str, str]]:
    volatile = {"x-request-id", "date", "content-length", "connection", "keep-alive"}
    headers = {k: v for k, v in response.headers.items() if k not in volatile}
    return response.status_code, response.content, headers


def test_login_answers_alike_for_unknown_email_and_wrong_password(
    client: httpx.Client, make_account, mailbox: Mailbox
) -> None:
    me: Account = make_account()
    # An account that exists but is not activated: a wrong password must not reveal that either.
    pending = f"pending{uuid.uuid4().hex[:10]}"
    r = client.post(
        "/v1/auth/register",
        json={"username": pending, "email": f"{pending}@example.com", "password": "right pass"},
    )
    assert r.status_code == 201
    attempts = [
        {"email": f"nobody-{uuid.uuid4().hex}@example.com", "password": me.password},
        {"email": me.email, "password": "wrong password"},
        {"email": me.email.upper(), "password": "wrong password"},
        {"email": f"{pending}@example.com", "password": "wrong password"},
    ]
    answers = [_comparable(client.post("/v1/auth/login", json=body)) for body in attempts]
    assert answers[0][0] == 401
    assert orjson.loads(answers[0][1]) == {"error": "invalid email or password"}
    for answer in answers[1:]:
        assert answer == answers[0]


def test_registration_conflicts_name_the_field_and_nothing_more(
    client: httpx.Client, make_account, db: Database, mailbox: Mailbox
) -> None:
    me: Account = make_account()
    fresh = f"fresh{uuid.uuid4().hex[:10]}"
    cases = [
        ({"username": me.username.upper(), "email": f"{fresh}@example.com"}, "username"),
        ({"username": fresh, "email": me.email.upper()}, "email"),
        ({"username": me.username, "email": me.email}, None),
    ]
    for fields, taken in cases:
        r = client.post("/v1/auth/register", json={**fields, "password": "another pass"})
        body = assert_error(r, 409)
        assert set(body) == {"error"}, body
        if taken == "username":
            assert body == {"error": "username is already taken"}
        elif taken == "email":
            assert body == {"error": "email is already registered"}
        # Not the holder's id, its other identifier, nor anything from the database.
        text = r.text.lower()
        for leak in (me.email.lower(), me.username.lower(), "users_", "constraint", "sql"):
            assert leak not in text, (leak, r.text)
        assert f'"{me.id}"' not in r.text and f":{me.id}" not in r.text
    assert db.fetchval("SELECT count(*) FROM social.users WHERE username = $1", fresh) == 0
    assert not [m for m in mailbox.messages if m["To"] == f"{fresh}@example.com"]


# --------------------------------------------------------------------------------------------
# Tokens are stored only as SHA-256 hashes


def _tables(db: Database) -> list[str]:
    rows = db.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'social' AND table_type = 'BASE TABLE' ORDER BY 1"
    )
    return [row["table_name"] for row in rows]


def _stored_anywhere(db: Database, needle: str) -> list[str]:
    """Tables of `social` holding `needle` as text in any column, or its bytes in a bytea."""
    hexed = "\\x" + needle.encode().hex()
    return [
        table
        for table in _tables(db)
        if db.fetchval(
            f"SELECT count(*) FROM social.{table} r "
            "WHERE strpos(r::text, $1) > 0 OR strpos(r::text, $2) > 0",
            needle,
            hexed,
        )
    ]


def test_activation_token_is_stored_only_as_its_sha256(
    client: httpx.Client, db: Database, mailbox: Mailbox
) -> None:
    name = f"hashed{uuid.uuid4().hex[:10]}"
    email = f"{name}@example.com"
    r = client.post(
        "/v1/auth/register", json={"username": name, "email": email, "password": "a password"}
    )
    user_id = r.json()["data"]["id"]
    token = mailbox.activation_token(email)
    leakcheck.remember(token)
    rows = db.fetch("SELECT token_hash FROM social.invitations WHERE user_id = $1", user_id)
    assert [bytes(row["token_hash"]) for row in rows] == [hashlib.sha256(token.encode()).digest()]
    lengths = db.fetch("SELECT DISTINCT octet_length(token_hash) AS n FROM social.invitations")
    assert [row["n"] for row in lengths] in ([], [32])
    assert _stored_anywhere(db, token) == []
    assert client.put(f"/v1/users/activate/{token}").status_code == 204


def test_reset_token_is_stored_only_as_its_sha256(
    client: httpx.Client, db: Database, mailbox: Mailbox, make_account
) -> None:
    me: Account = make_account()
    assert client.post("/v1/auth/password/forgot", json={"email": me.email}).status_code == 202
    [token] = mailbox.link_tokens(me.email, "reset-password")
    leakcheck.remember(token)
    rows = db.fetch("SELECT token_hash FROM social.password_resets WHERE user_id = $1", me.id)
    assert [bytes(row["token_hash"]) for row in rows] == [hashlib.sha256(token.encode()).digest()]
    assert _stored_anywhere(db, token) == []
    r = client.post("/v1/auth/password/reset", json={"token": token, "password": "a new secret"})
    assert r.status_code == 204
    assert db.fetch("SELECT 1 FROM social.password_resets WHERE user_id = $1", me.id) == []


def test_refresh_tokens_are_stored_only_as_their_sha256(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    r = client.post("/v1/auth/refresh", json={"refresh_token": me.refresh_token})
    assert r.status_code == 200
    pair = r.json()["data"]
    stored = {
        bytes(row["token_hash"])
        for row in db.fetch(
            "SELECT token_hash FROM social.refresh_tokens WHERE user_id = $1", me.id
        )
    }
    assert stored == {
        hashlib.sha256(me.refresh_token.encode()).digest(),
        hashlib.sha256(pair["refresh_token"].encode()).digest(),
    }
    lengths = db.fetch("SELECT DISTINCT octet_length(token_hash) AS n FROM social.refresh_tokens")
    assert [row["n"] for row in lengths] == [32]
    for token in (me.refresh_token, pair["refresh_token"], pair["access_token"]):
        assert _stored_anywhere(db, token) == []
        assert _stored_anywhere(db, token.rsplit(".", 1)[-1]) == []  # not even the signature


# --------------------------------------------------------------------------------------------
# No secret in any log of the run (runs last: see tests/leakcheck.py)


def test_no_secret_in_any_log(
    server_log: Path,
    service_env: dict[str, str],
    client: httpx.Client,
    make_account,
    mailbox: Mailbox,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # Exercise the secrets' paths once more so that this test means something on its own too.
    me: Account = make_account()
    client.post("/v1/auth/password/forgot", json={"email": me.email})
    [reset] = mailbox.link_tokens(me.email, "reset-password")
    client.get(f"/reset-password/{reset}")  # the page: its path holds the token
    client.post("/v1/auth/password/reset", json={"token": reset, "password": "reset-secret-1"})
    client.get(f"/confirm/{'B' * 43}")
    r = client.post("/v1/auth/login", json={"email": me.email, "password": "reset-secret-1"})
    r = client.put(
        "/v1/users/me/password",
        json={"current_password": "reset-secret-1", "password": "changed-secret-2"},
        headers=bearer(r.json()["data"]["access_token"]),
    )
    headers = bearer(r.json()["data"]["access_token"])
    client.request("DELETE", "/v1/users/me", json={"password": "changed-secret-2"}, headers=headers)
    me = make_account()
    client.post("/v1/auth/login", json={"email": me.email, "password": "a wrong password"})
    client.post("/v1/auth/refresh", json={"refresh_token": me.refresh_token})
    client.post("/v1/auth/refresh", json={"refresh_token": me.refresh_token})  # reuse: revoked
    client.post("/v1/auth/logout", json={"refresh_token": "x" * 40}, headers=me.headers)
    client.put(f"/v1/users/activate/{'A' * 43}")  # unknown token, as a path
    leakcheck.remember(service_env["JWT_SECRET"], APP_PASSWORD, "A" * 43)
    time.sleep(0.3)  # the server writes its log lines after answering

    # The session server's log, those registered by tests that ran servers of their own, and
    # any other server log the run wrote under its temporary directory.
    logs = tmp_path_factory.getbasetemp().rglob("*.log")
    paths = sorted({server_log, *leakcheck.logs(), *logs})
    texts = {str(p): p.read_text(errors="replace") for p in paths if p.exists()}
    assert texts.get(str(server_log)), "the session server wrote no log"
    # The grep reads real access lines (the format it is matched against).
    assert '"path":"/v1/auth/login"' in texts[str(server_log)]
    for redacted in ("/reset-password/[redacted]", "/confirm/[redacted]"):
        assert f'"path":"{redacted}"' in texts[str(server_log)]
    values = leakcheck.secrets()
    # The matcher itself: a secret is found as written and as a JSON log line escapes it.
    assert leakcheck.leaks({"probe": f'{{"message":"{me.password}"}}'}, {me.password})
    assert leakcheck.leaks({"probe": orjson.dumps({"m": 'pa"ss\\word'}).decode()}, {'pa"ss\\word'})
    assert me.password in values and me.refresh_token in values and len(values) > 10
    assert {reset, "reset-secret-1", "changed-secret-2", "B" * 43} <= values
    found = leakcheck.leaks(texts, values)
    assert not found, f"{len(found)} secrets found in server logs: {found[:20]}"

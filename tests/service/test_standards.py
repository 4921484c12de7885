"""The standards the answers follow, each through the real service: token answers never cached
(RFC 6749 §5.1), case-insensitive scheme names (RFC 9110 §11.1), `Vary: Origin` wherever the
CORS headers may differ, ids spelled only one way, emails as long as docs/api.md allows, and
validation messages in words. If-Match (RFC 9110 §13.1.1) is in test_http_posts.py."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import Account, assert_error, base_env, create_post, signup
from tests.services import Api, Mailbox, api

ORIGIN = "http://localhost:5173"  # CORS_ALLOWED_ORIGIN's default
BASIC = base64.b64encode(b"admin:admin").decode()


def assert_not_stored(r: httpx.Response) -> None:
    assert r.status_code == 200, r.text
    assert "access_token" in r.json()["data"]
    assert r.headers["cache-control"] == "no-store", r.headers
    assert r.headers["pragma"] == "no-cache", r.headers


def test_every_answer_carrying_tokens_is_not_stored(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    login = client.post("/v1/auth/login", json={"email": me.email, "password": me.password})
    assert_not_stored(login)
    refresh = client.post(
        "/v1/auth/refresh", json={"refresh_token": login.json()["data"]["refresh_token"]}
    )
    assert_not_stored(refresh)
    change = client.put(
        "/v1/users/me/password",
        json={"current_password": me.password, "password": "another horse"},
        headers=me.headers,
    )
    assert_not_stored(change)


@pytest.mark.parametrize("scheme", ["Basic", "basic", "BASIC", "bAsIc"])
def test_basic_scheme_name_is_case_insensitive(client: httpx.Client, scheme: str) -> None:
    r = client.get("/v1/health", headers={"Authorization": f"{scheme} {BASIC}"})
    assert r.status_code == 200, r.text
    # One or more spaces after the scheme (RFC 9110 §11.4: 1*SP).
    r = client.get("/v1/health", headers={"Authorization": f"{scheme}   {BASIC}"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_bearer_scheme_name_is_case_insensitive(
    client: httpx.Client, make_account, scheme: str
) -> None:
    me: Account = make_account()
    r = client.get("/v1/users/me", headers={"Authorization": f"{scheme} {me.access_token}"})
    assert r.status_code == 200, r.text


def test_wrong_basic_credentials_stay_401_whatever_the_case(client: httpx.Client) -> None:
    wrong = base64.b64encode(b"admin:nope").decode()
    for header in (f"basic {wrong}", "basic", f"Bearer {BASIC}", f"basicx {BASIC}"):
        r = client.get("/v1/health", headers={"Authorization": header})
        assert_error(r, 401)


def vary(r: httpx.Response) -> set[str]:
    return {v.strip().lower() for v in r.headers.get("vary", "").split(",") if v.strip()}


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/livez", {"Origin": ORIGIN}),
        ("GET", "/livez", {"Origin": "http://elsewhere.example"}),
        ("GET", "/livez", {}),
        ("GET", "/v1/users/me", {"Origin": "http://elsewhere.example"}),  # 401
        ("GET", "/v1/no-such-route", {"Origin": "http://elsewhere.example"}),  # 404
        ("DELETE", "/livez", {"Origin": ORIGIN}),  # 405
        ("OPTIONS", "/v1/posts", {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}),
        ("OPTIONS", "/v1/posts", {"Origin": "http://elsewhere.example"}),
        ("OPTIONS", "/v1/posts", {"Origin": ORIGIN}),  # no Access-Control-Request-Method
        ("POST", "/v1/auth/login", {"Origin": ORIGIN, "Content-Type": "application/json"}),
    ],
)
def test_every_answer_varies_on_origin(
    client: httpx.Client, method: str, path: str, headers: dict
) -> None:
    """Whether the CORS headers come at all depends on the Origin (an origin not allowed gets
    none): a cache must not hand one origin's answer to another."""
    content = b"{" if method == "POST" else None
    r = client.request(method, path, headers=headers, content=content)
    assert "origin" in vary(r), (r.status_code, dict(r.headers))


BUDGET = 5


@pytest.fixture(scope="module")
def limited(app_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """A budget of BUDGET per window, counted per X-Forwarded-For address (in process); the
    start's readiness probes, without the header, count against 127.0.0.1's."""
    env = {
        **base_env(app_database_url, ""),
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_REQUESTS": str(BUDGET),
        "RATE_LIMIT_WINDOW": "60",
        "TRUSTED_PROXY_HEADER": "X-Forwarded-For",
    }
    log: Path = tmp_path_factory.mktemp("standards") / "limited.log"
    with api(env, log) as server:
        yield server


def test_a_429_varies_on_origin(limited: Api) -> None:
    headers = {
        "Origin": "http://elsewhere.example",
        "X-Forwarded-For": f"10.{uuid.uuid4().int % 250}.0.1",
    }
    with limited.client() as c:
        for _ in range(BUDGET):
            c.get("/livez/nothing", headers=headers)
        r = c.get("/livez/nothing", headers=headers)
    assert_error(r, 429)
    assert "origin" in vary(r), dict(r.headers)


@pytest.mark.parametrize(
    "spell", ["+{}", "0{}", "00{}", "{}.0", "{}_", "{} ", "%2B{}"], ids=lambda s: s.format("N")
)
def test_an_id_spelled_otherwise_is_404(client: httpx.Client, make_account, spell: str) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    assert client.get(f"/v1/posts/{post['id']}", headers=me.headers).status_code == 200
    r = client.get(f"/v1/posts/{spell.format(post['id'])}", headers=me.headers)
    assert_error(r, 404)
    r = client.get(f"/v1/users/{spell.format(me.id)}", headers=me.headers)
    assert_error(r, 404)


def test_an_id_with_underscores_or_other_digits_is_404(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    posts = [create_post(client, me) for _ in range(11)]
    ten = next(p["id"] for p in posts if p["id"] >= 10)
    digits = str(ten)
    underscored = digits[0] + "_" + digits[1:]  # int() reads `1_0` as 10
    arabic = digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))  # and these too
    for spelled in (underscored, arabic):
        assert_error(client.get(f"/v1/posts/{spelled}", headers=me.headers), 404)


def email_of(length: int, tag: str) -> str:
    """A valid address of exactly `length` characters: a 64-character local part (RFC 5321's
    limit) and a domain of labels of at most 63."""
    local = f"{tag}-".ljust(64, "a")
    domain_length = length - len(local) - 1 - len(".example")
    labels = []
    while domain_length > 0:
        size = min(63, domain_length)
        if domain_length - size == 1:  # a label of 0 characters is not one
            size -= 2
        labels.append("d" * size)
        domain_length -= size + 1
    domain = ".".join(labels) + ".example"
    assert len(local) + 1 + len(domain) == length
    return f"{local}@{domain}"


def test_an_email_of_255_characters_registers_and_logs_in(
    client: httpx.Client, mailbox: Mailbox
) -> None:
    """docs/api.md allows 255 characters; email-validator alone stops at 254."""
    tag = uuid.uuid4().hex[:12]
    email = email_of(255, tag)
    me = signup(client, mailbox, f"long_{tag}", email, "correct horse")
    r = client.get("/v1/users/me", headers=me.headers)
    assert r.status_code == 200 and r.json()["data"]["email"] == email
    r = client.post("/v1/auth/password/forgot", json={"email": email})
    assert r.status_code == 202, r.text


@pytest.mark.parametrize(
    "email",
    [
        email_of(256, "too-long"),
        "no-at-sign.example.com",
        "a@b@example.com",
        "a..b@example.com",
        "a@-example.com",
    ],
)
def test_an_email_the_contract_refuses_is_400(client: httpx.Client, email: str) -> None:
    for path, body in (
        ("/v1/auth/register", {"username": "u", "email": email, "password": "correct horse"}),
        ("/v1/auth/password/forgot", {"email": email}),
    ):
        body = assert_error(client.post(path, json=body), 400, field="email")
        assert "@" not in body["details"][0]["message"].split(":")[0]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("GET", "/v1/users/feed", {"params": {"cursor": "not a cursor"}}, "cursor"),
        (
            "POST",
            "/v1/auth/password/reset",
            {"json": {"token": "x", "password": "pw-8-bytes"}},
            "token",
        ),
        ("GET", "/v1/users/feed", {"params": {"since": "yesterday"}}, "since"),
        ("GET", "/v1/users/feed", {"params": {"tags": ",,"}}, "tags"),
        ("POST", "/v1/posts", {"json": {"title": " ", "content": "c"}}, "title"),
        (
            "POST",
            "/v1/posts",
            {"json": {"title": "t", "content": "c"}, "headers": {"Idempotency-Key": "k\tk"}},
            "Idempotency-Key",
        ),
    ],
)
def test_validation_messages_are_words_not_patterns(
    client: httpx.Client, make_account, method: str, path: str, kwargs: dict, field: str
) -> None:
    me: Account = make_account()
    kwargs = {**kwargs, "headers": {**me.headers, **kwargs.get("headers", {})}}
    body = assert_error(client.request(method, path, **kwargs), 400, field=field)
    for detail in body["details"]:
        assert "pattern" not in detail["message"] and "^" not in detail["message"], detail

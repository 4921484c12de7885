"""Login throttling per account and the rehash of weak hashes, through a service of its own with
a short LOGIN_THROTTLE_WINDOW (docs/api.md: 5 failures in the window, then 429 with Retry-After for
that email, known or not, even with the right password; a success clears the count)."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import httpx
import pytest

from tests import leakcheck
from tests.helpers import Database, assert_error, base_env, check_response
from tests.services import Api, api

WINDOW = 4  # seconds: long enough for five failures on a busy machine, short enough to wait out
# The service's BCRYPT_COST: above the 4 of the rehash test's stored hash. The timing test
# prints its medians: LOGIN_TEST_BCRYPT_COST=12 measures at the production default.
COST = int(os.environ.get("LOGIN_TEST_BCRYPT_COST", "8"))
PASSWORD = "right password"
MESSAGE = {"error": "too many failed logins for this account; try again later"}


@pytest.fixture(scope="module")
def server(
    app_database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    log: Path = tmp_path_factory.mktemp("login") / "api.log"
    leakcheck.add_log(log)
    env = {
        **base_env(app_database_url, redis_url),
        "BCRYPT_COST": str(COST),
        "LOGIN_THROTTLE_WINDOW": str(WINDOW),
    }
    with api(env, log) as s:
        yield s


@pytest.fixture
def client(server: Api) -> Iterator[httpx.Client]:
    with server.client(event_hooks={"response": [check_response]}) as c:
        yield c


@pytest.fixture
def email(db: Database) -> str:
    """An active account's email (mixed case), its password PASSWORD hashed at COST."""
    return _account(db, bcrypt.gensalt(COST))


def _account(db: Database, salt: bytes) -> str:
    name = f"lt_{uuid.uuid4().hex[:12]}"
    db.fetch(
        "INSERT INTO social.users (username, email, password_hash, is_active)"
        " VALUES ($1, $2, $3, true)",
        name,
        f"{name}@Example.com",
        bcrypt.hashpw(PASSWORD.encode(), salt).decode(),
    )
    return f"{name}@Example.com"


def _login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def _fail(client: httpx.Client, email: str, times: int) -> None:
    for _ in range(times):
        assert_error(_login(client, email, "wrong password"), 401)


def _throttled(r: httpx.Response) -> int:
    assert_error(r, 429)
    assert r.json() == MESSAGE
    retry_after = int(r.headers["Retry-After"])
    assert 1 <= retry_after <= WINDOW
    return retry_after


def test_five_failures_throttle_even_the_right_password(client: httpx.Client, email: str) -> None:
    _fail(client, email, 5)
    _throttled(_login(client, email, PASSWORD))
    _throttled(_login(client, email.upper(), PASSWORD))  # the email in any case
    _throttled(_login(client, email, "wrong password"))


def test_an_unknown_email_is_answered_exactly_like_a_known_one(
    client: httpx.Client, email: str
) -> None:
    unknown = f"nobody_{uuid.uuid4().hex[:12]}@example.com"

    def sequence(address: str) -> list[tuple[int, bytes, list[str], str | None]]:
        answers = []
        for password in ["wrong password"] * 5 + [PASSWORD, "wrong password"]:
            r = _login(client, address, password)
            names = sorted(n for n in r.headers if n not in ("x-request-id", "date"))
            answers.append((r.status_code, r.content, names, r.headers.get("retry-after")))
        return answers

    known, other = sequence(email), sequence(unknown)
    assert [a[0] for a in known] == [401] * 5 + [429, 429]
    for mine, theirs in zip(known, other, strict=True):
        assert mine[:3] == theirs[:3]  # status, body and header names
        if mine[3] is not None:  # the seconds left, a second apart at most
            assert theirs[3] is not None and abs(int(mine[3]) - int(theirs[3])) <= 1


def test_a_success_clears_the_count(client: httpx.Client, email: str) -> None:
    _fail(client, email, 4)
    assert _login(client, email, PASSWORD).status_code == 200
    _fail(client, email, 5)  # five more: the four before no longer count
    _throttled(_login(client, email, PASSWORD))


def test_wrong_current_passwords_count_against_the_account(
    client: httpx.Client, email: str
) -> None:
    """A stolen access token gets no more guesses than the login form: the current password of a
    change or a deletion counts as a login attempt of that account."""
    access = _login(client, email, PASSWORD).json()["data"]["access_token"]
    auth = {"Authorization": f"Bearer {access}"}
    change = {"current_password": "wrong password", "password": "a new password"}
    for _ in range(3):
        assert_error(client.put("/v1/users/me/password", json=change, headers=auth), 403)
    for _ in range(2):
        r = client.request("DELETE", "/v1/users/me", json={"password": "wrong"}, headers=auth)
        assert_error(r, 403)
    _throttled(client.request("DELETE", "/v1/users/me", json={"password": PASSWORD}, headers=auth))
    _throttled(_login(client, email, PASSWORD))
    assert client.get("/v1/users/me", headers=auth).status_code == 200  # the account is kept


def test_after_the_window_the_right_password_works(client: httpx.Client, email: str) -> None:
    _fail(client, email, 5)
    retry_after = _throttled(_login(client, email, PASSWORD))
    time.sleep(retry_after + 0.2)
    r = _login(client, email, PASSWORD)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["token_type"] == "Bearer"


def test_concurrent_guesses_get_no_more_than_five_tries(server: Api, email: str) -> None:
    async def guesses() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
            body = {"email": email, "password": "wrong password"}
            return await asyncio.gather(*(c.post("/v1/auth/login", json=body) for _ in range(20)))

    statuses = sorted(r.status_code for r in asyncio.run(guesses()))
    assert statuses == [401] * 5 + [429] * 15, statuses


def test_a_weaker_stored_hash_is_rehashed_at_the_next_login(
    client: httpx.Client, db: Database
) -> None:
    email = _account(db, bcrypt.gensalt(4))
    stored = "SELECT password_hash FROM social.users WHERE lower(email) = lower($1)"
    assert db.fetchval(stored, email).startswith("$2b$04$")
    assert_error(_login(client, email, "wrong password"), 401)
    assert db.fetchval(stored, email).startswith("$2b$04$")  # a wrong password changes nothing
    assert _login(client, email, PASSWORD).status_code == 200
    rehashed = db.fetchval(stored, email)
    assert rehashed.startswith(f"$2b${COST:02d}$")
    assert bcrypt.checkpw(PASSWORD.encode(), rehashed.encode())
    assert _login(client, email, PASSWORD).status_code == 200
    assert db.fetchval(stored, email) == rehashed  # at the service's cost: left alone


def test_an_unknown_email_costs_a_bcrypt_too(client: httpx.Client, email: str) -> None:
    """A failed login takes as long for an unknown email as for a known one (both pay one
    bcrypt), while a throttled one pays none: medians of interleaved logins."""

    def timed(address: str, password: str) -> float:
        started = time.perf_counter()
        r = _login(client, address, password)
        elapsed = time.perf_counter() - started
        assert r.status_code in (401, 429), r.text
        return elapsed

    known, unknown = [], []
    for _ in range(9):
        known.append(timed(email, "wrong password"))
        assert _login(client, email, PASSWORD).status_code == 200  # clears the count
        unknown.append(timed(f"nobody_{uuid.uuid4().hex[:12]}@example.com", "wrong password"))
    throttled_email = f"nobody_{uuid.uuid4().hex[:12]}@example.com"
    _fail(client, throttled_email, 5)
    throttled = [timed(throttled_email, "wrong password") for _ in range(9)]
    k, u, t = (statistics.median(x) * 1000 for x in (known, unknown, throttled))
    print(
        f"login medians (BCRYPT_COST={COST}): known {k:.1f} ms, unknown {u:.1f} ms, "
        f"throttled {t:.1f} ms"
    )
    assert u >= 0.5 * k, (k, u)

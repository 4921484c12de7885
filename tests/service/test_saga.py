"""The registration saga end to end: mail retries, compensation, and the sweeper."""

from __future__ import annotations

import time

import httpx

from tests.helpers import Account, Database
from tests.services import Mailbox


def _register(client: httpx.Client, name: str) -> httpx.Response:
    return client.post(
        "/v1/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": "long enough"},
    )


def test_transient_failures_are_retried_then_compensated(
    client: httpx.Client, mailbox: Mailbox, db: Database
) -> None:
    # The test SMTP server answers 451 to every `flaky*` recipient: three tries, then give up.
    tries_before = mailbox.refusals
    r = _register(client, "flaky_saga")
    assert r.status_code == 500
    assert r.json() == {"error": "the activation email could not be sent; please try again later"}
    assert mailbox.refusals - tries_before == 3
    assert db.fetchval("SELECT count(*) FROM social.users WHERE username = 'flaky_saga'") == 0


def test_sweeper_removes_expired_unactivated_users_only(
    client: httpx.Client, db: Database, make_account
) -> None:
    active: Account = make_account()
    assert _register(client, "sweep_me").status_code == 201
    assert _register(client, "not_yet").status_code == 201
    db.fetch(
        "UPDATE social.invitations SET expires_at = now() - interval '1 second'"
        " WHERE user_id = (SELECT id FROM social.users WHERE username = 'sweep_me')"
    )
    deadline = time.monotonic() + 10  # the test server sweeps every 0.5 s
    while db.fetchval("SELECT count(*) FROM social.users WHERE username = 'sweep_me'"):
        assert time.monotonic() < deadline, "the sweeper did not remove the expired user"
        time.sleep(0.1)
    names = {r["username"] for r in db.fetch("SELECT username FROM social.users")}
    assert {active.username, "not_yet"} <= names

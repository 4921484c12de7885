"""Another activation mail, `POST /v1/auth/activation/resend`, through the real service and real
SMTP: a new link for an account never activated (the older ones stop working), nothing for
others, one answer for every address, and the login throttle of the address."""

from __future__ import annotations

import itertools
import time
import uuid

import httpx
import pytest

from tests.helpers import Account, Database, assert_error
from tests.services import Mailbox

RESEND = "/v1/auth/activation/resend"
ANSWER = {
    "data": {
        "message": "if an account waiting for activation has this address, a new link is on its way"
    }
}
_n = itertools.count(1)


def _address(prefix: str = "waiting") -> str:
    return f"{prefix}{next(_n)}.{uuid.uuid4().hex[:8]}@example.com"


def _register(client: httpx.Client, email: str) -> int:
    r = client.post(
        "/v1/auth/register",
        json={"username": f"u{uuid.uuid4().hex[:12]}", "email": email, "password": "correct horse"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["data"]["id"])


def _resend(client: httpx.Client, email: str) -> httpx.Response:
    r = client.post(RESEND, json={"email": email})
    assert r.status_code == 202, r.text
    assert r.json() == ANSWER
    return r


def test_an_account_never_activated_gets_a_new_link_and_the_older_stops_working(
    client: httpx.Client, mailbox: Mailbox
) -> None:
    email = _address()
    _register(client, email)
    [first] = mailbox.link_tokens(email, "confirm")
    _resend(client, email.upper())  # the address in any case
    first_again, second = mailbox.link_tokens(email, "confirm", count=2)
    assert first_again == first and second != first and len(second) >= 32
    # Both parts carry the link, as the registration's mail does.
    message = mailbox.sent_to(email)[-1]
    assert second in message.get_body(("plain",)).get_content()
    assert second in message.get_body(("html",)).get_content()

    assert_error(client.put(f"/v1/users/activate/{first}"), 404)
    assert client.put(f"/v1/users/activate/{second}").status_code == 204
    assert (
        client.post(
            "/v1/auth/login", json={"email": email, "password": "correct horse"}
        ).status_code
        == 200
    )
    # Active now: another request sends nothing.
    _resend(client, email)
    time.sleep(0.5)
    assert len(mailbox.link_tokens(email, "confirm", count=2)) == 2


def test_every_address_gets_the_same_answer_and_only_a_waiting_account_mail(
    client: httpx.Client, mailbox: Mailbox, make_account
) -> None:
    waiting = _address()
    _register(client, waiting)
    active: Account = make_account()
    unknown = _address("nobody")
    before = len(mailbox.sent_to(active.email))
    answers = [client.post(RESEND, json={"email": a}) for a in (unknown, active.email, waiting)]
    assert {(a.status_code, a.content) for a in answers} == {(202, answers[0].content)}
    assert {a.headers["content-type"] for a in answers} == {"application/json"}
    mailbox.link_tokens(waiting, "confirm", count=2)  # its mail arrives; none for the others
    time.sleep(0.3)
    assert mailbox.sent_to(unknown) == []
    assert len(mailbox.sent_to(active.email)) == before


def test_every_request_counts_against_the_login_throttle_known_or_not(
    client: httpx.Client, mailbox: Mailbox
) -> None:
    waiting, unknown = _address(), _address("nobody")
    _register(client, waiting)
    for _ in range(5):  # LOGIN_MAX_FAILURES
        _resend(client, waiting)
        _resend(client, unknown)
    refused = [client.post(RESEND, json={"email": a}) for a in (waiting, unknown)]
    for r in refused:
        assert_error(r, 429)
        assert 0 < int(r.headers["Retry-After"]) <= 900
    # No difference between a known and an unknown address: status, body, Retry-After.
    assert len({(r.status_code, r.content, r.headers["Retry-After"]) for r in refused}) == 1
    # The mails it could send: the registration's and five more, not a sixth.
    time.sleep(0.3)
    assert len(mailbox.link_tokens(waiting, "confirm", count=6)) == 6
    # It is the login's throttle: a login of that address waits as well.
    r = client.post("/v1/auth/login", json={"email": waiting, "password": "correct horse"})
    assert_error(r, 429)


def test_a_failed_send_still_answers_202_and_keeps_the_account(
    client: httpx.Client, mailbox: Mailbox, db: Database
) -> None:
    """The mail goes out after the answer, so a failure cannot show in it: the client gets the
    same 202, the failure is logged and counted, and the account waits for another request."""
    email = _address("bounce")  # tests.services.Mailbox refuses it for good
    user_id = db.fetchval(
        "INSERT INTO social.users (username, email, password_hash) VALUES ($1, $2, 'x') "
        "RETURNING id",
        f"bounce_{uuid.uuid4().hex[:12]}",
        email,
    )
    refusals = mailbox.refusals
    _resend(client, email)
    deadline = time.monotonic() + 10
    while mailbox.refusals == refusals and time.monotonic() < deadline:
        time.sleep(0.02)
    assert mailbox.refusals > refusals and mailbox.sent_to(email) == []
    # Not undone like a registration: the account and its new (unmailed) invitation stay.
    assert db.fetchval("SELECT count(*) FROM social.invitations WHERE user_id = $1", user_id) == 1
    assert db.fetchval("SELECT NOT is_active FROM social.users WHERE id = $1", user_id)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-address"},
        {"email": ""},
        {"email": 42},
        {},
        {"email": "x@example.com", "extra": True},
    ],
)
def test_malformed_input_is_400(client: httpx.Client, body: dict) -> None:
    field = "extra" if "extra" in body else "email"
    assert_error(client.post(RESEND, json=body), 400, field)


def test_a_body_that_is_not_json_is_415(client: httpx.Client) -> None:
    r = client.post(RESEND, content=b"email=x", headers={"Content-Type": "text/plain"})
    assert_error(r, 415)

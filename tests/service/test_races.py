"""Concurrency against the live server: many clients at once, released together by a barrier.

Each burst is bounded (N threads, one request each, 30 s timeouts); the assertions are about the
outcome the rules promise whatever the interleaving, and that no request ends in a 5xx.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests import leakcheck
from tests.helpers import Account, Database, assert_error_shape, create_post
from tests.services import Mailbox

N = 24  # concurrent clients per burst


@pytest.fixture(scope="module")
def clients(base_url: str) -> Iterator[list[httpx.Client]]:
    """N clients with their own connections, reused by every burst of the module."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(
                httpx.Client(
                    base_url=base_url, timeout=30, event_hooks={"response": [leakcheck.watch]}
                )
            )
            for _ in range(N)
        ]


@pytest.fixture
def burst(clients: list[httpx.Client]):
    """`burst(call)`: run `call(client, i)` for i < N in N threads released at once."""

    def run(call: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
        barrier = threading.Barrier(N, timeout=30)

        def one(i: int) -> httpx.Response:
            c = clients[i]
            c.get("/v1/health")  # (401) open the connection before the barrier
            barrier.wait()
            response = call(c, i)
            response.read()
            return response

        with ThreadPoolExecutor(max_workers=N) as pool:
            responses = list(pool.map(one, range(N)))
        for r in responses:
            assert r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text)
            if r.status_code >= 400:
                assert_error_shape(r.json())
        return responses

    return run


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


def _following(db: Database, follower: Account, user: Account) -> bool:
    return bool(
        db.fetchval(
            "SELECT count(*) FROM social.followers WHERE user_id = $1 AND follower_id = $2",
            user.id,
            follower.id,
        )
    )


def test_concurrent_follow_unfollow_of_one_pair_stays_consistent(
    burst, client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    them: Account = make_account()
    follow, unfollow = f"/v1/users/{them.id}/follow", f"/v1/users/{them.id}/unfollow"
    back = f"/v1/users/{me.id}/follow"

    for _ in range(3):
        # A mixed storm, with the other direction at the same time.
        def mixed(c: httpx.Client, i: int) -> httpx.Response:
            if i % 4 == 3:
                return c.put(back, headers=them.headers)
            return c.put(follow if i % 2 == 0 else unfollow, headers=me.headers)

        responses = burst(mixed)
        for r in responses:
            expected = {204, 409} if r.request.url.path.endswith("/follow") else {204}
            assert r.status_code in expected, (r.request.url, r.status_code, r.text)
        # Whatever won, the row and the API agree: following answers 409 iff the row exists.
        exists = _following(db, me, them)
        r = client.put(follow, headers=me.headers)
        assert r.status_code == (409 if exists else 204), (exists, r.text)
        assert _following(db, me, them)
        # The last successful operation decides: unfollow removes the row.
        assert client.put(unfollow, headers=me.headers).status_code == 204
        assert not _following(db, me, them)

        # All following at once from "not following": exactly one 204, the rest 409.
        responses = burst(lambda c, i: c.put(follow, headers=me.headers))
        assert statuses(responses) == {204: 1, 409: N - 1}
        assert _following(db, me, them)
        # All unfollowing at once: every one 204 (not following is fine), the row gone.
        responses = burst(lambda c, i: c.put(unfollow, headers=me.headers))
        assert statuses(responses) == {204: N}
        assert not _following(db, me, them)
    assert _following(db, them, me)  # the other direction's follows were independent


def test_concurrent_comments_keep_the_count_exact(
    burst, client: httpx.Client, make_account, db: Database
) -> None:
    authors: list[Account] = [make_account() for _ in range(3)]
    post = create_post(client, authors[0], "busy post")
    path = f"/v1/posts/{post['id']}/comments"

    def comment(c: httpx.Client, i: int) -> httpx.Response:
        return c.post(path, json={"content": f"comment {i}"}, headers=authors[i % 3].headers)

    responses = burst(comment)
    assert statuses(responses) == {201: N}
    ids = {r.json()["data"]["id"] for r in responses}
    assert len(ids) == N
    r = client.get(f"/v1/posts/{post['id']}", headers=authors[0].headers)
    assert r.json()["data"]["comments_count"] == N
    r = client.get(path, params={"limit": 100}, headers=authors[0].headers)
    assert {c["id"] for c in r.json()["data"]} == ids
    assert db.fetchval("SELECT count(*) FROM social.comments WHERE post_id = $1", post["id"]) == N
    # Counted in the feed too.
    r = client.get("/v1/users/feed", headers=authors[0].headers)
    [item] = [p for p in r.json()["data"] if p["id"] == post["id"]]
    assert item["comments_count"] == N


def test_concurrent_refreshes_of_one_token_yield_one_success(
    burst, client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    body = {"refresh_token": me.refresh_token}
    responses = burst(lambda c, i: c.post("/v1/auth/refresh", json=body))
    assert statuses(responses) == {200: 1, 401: N - 1}
    [winner] = [r.json()["data"] for r in responses if r.status_code == 200]
    # The losers presented a used token: by the contract that is theft, and the whole login
    # (the winner's new refresh token included) is revoked.
    r = client.post("/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]})
    assert r.status_code == 401
    live = db.fetchval(
        "SELECT count(*) FROM social.refresh_tokens "
        "WHERE user_id = $1 AND revoked_at IS NULL AND used_at IS NULL",
        me.id,
    )
    assert live == 0


def test_concurrent_registrations_of_one_email_make_one_account(
    burst, db: Database, mailbox: Mailbox
) -> None:
    tag = uuid.uuid4().hex[:10]
    email = f"race{tag}@example.com"

    def register(c: httpx.Client, i: int) -> httpx.Response:
        # Same address in varying case, each with its own username.
        address = email.upper() if i % 2 else email
        return c.post(
            "/v1/auth/register",
            json={"username": f"race{tag}_{i}", "email": address, "password": "race password"},
        )

    responses = burst(register)
    assert statuses(responses) == {201: 1, 409: N - 1}
    for r in responses:
        if r.status_code == 409:
            assert r.json() == {"error": "email is already registered"}
    assert db.fetchval("SELECT count(*) FROM social.users WHERE lower(email) = $1", email) == 1
    [winner] = [r.json()["data"] for r in responses if r.status_code == 201]
    mailbox.activation_token(winner["email"])  # the winner's invitation went out

    # And one username from many addresses.
    name = f"racer{tag}"
    responses = burst(
        lambda c, i: c.post(
            "/v1/auth/register",
            json={"username": name, "email": f"r{i}.{tag}@example.com", "password": "race pass"},
        ),
    )
    assert statuses(responses) == {201: 1, 409: N - 1}
    assert db.fetchval("SELECT count(*) FROM social.users WHERE lower(username) = $1", name) == 1


@pytest.mark.parametrize("how", ["body", "if-match"])
def test_concurrent_patches_with_one_version_have_one_winner(
    burst, client: httpx.Client, make_account, db: Database, how: str
) -> None:
    owner: Account = make_account()
    moderator: Account = make_account(role="moderator")
    post = create_post(client, owner, "contested")

    def patch(c: httpx.Client, i: int) -> httpx.Response:
        who = owner if i % 2 else moderator
        if how == "body":
            return c.patch(
                f"/v1/posts/{post['id']}",
                json={"title": f"edit {i}", "version": 1},
                headers=who.headers,
            )
        return c.patch(
            f"/v1/posts/{post['id']}",
            json={"title": f"edit {i}"},
            headers={**who.headers, "If-Match": '"1"'},
        )

    responses = burst(patch)
    assert statuses(responses) == {200: 1, 409: N - 1}
    [winner] = [r.json()["data"] for r in responses if r.status_code == 200]
    assert winner["version"] == 2
    row = db.fetch("SELECT title, version FROM social.posts WHERE id = $1", post["id"])[0]
    assert (row["title"], row["version"]) == (winner["title"], 2)

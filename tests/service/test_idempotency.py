"""Idempotent creation (docs/api.md): `Idempotency-Key` on POST /v1/posts and on comments, through
the real service: replays, a different body, keys per user, races, the 24 hours and the sweep."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter

import httpx
import pytest

from tests.helpers import Account, Database, assert_error, create_post

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def _key() -> str:
    return f"key-{uuid.uuid4()}"


def _posts(db: Database, account: Account) -> int:
    return db.fetchval("SELECT count(*)::int FROM social.posts WHERE user_id = $1", account.id)


def _comments(db: Database, post_id: int) -> int:
    return db.fetchval("SELECT count(*)::int FROM social.comments WHERE post_id = $1", post_id)


def test_a_repeat_answers_the_first_answer_and_creates_nothing(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    headers = {**me.headers, KEY: _key()}
    body = {"title": "Once", "content": "only once", "tags": ["a", "A", "b"]}
    first = client.post("/v1/posts", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    assert first.headers["ETag"] == '"1"'

    # The same request spelled otherwise (tags that de-duplicate alike, keys in another order).
    for again_body in (body, {"tags": ["a", "b"], "content": "only once", "title": "Once"}):
        again = client.post("/v1/posts", json=again_body, headers=headers)
        assert again.status_code == 201, again.text
        assert again.headers[REPLAYED] == "true"
        assert again.content == first.content
        assert again.headers["ETag"] == first.headers["ETag"]
    assert _posts(db, me) == 1


def test_a_replay_is_the_first_answer_even_after_the_post_changed(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    headers = {**me.headers, KEY: _key()}
    first = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=headers)
    post_id = first.json()["data"]["id"]
    edited = client.patch(
        f"/v1/posts/{post_id}", json={"title": "edited", "version": 1}, headers=me.headers
    )
    assert edited.status_code == 200, edited.text
    again = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=headers)
    assert (again.status_code, again.content) == (201, first.content)
    assert again.headers["ETag"] == '"1"'


def test_the_same_key_with_another_body_is_422_and_changes_nothing(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    headers = {**me.headers, KEY: _key()}
    first = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=headers)
    assert first.status_code == 201
    for other in (
        {"title": "t", "content": "another"},
        {"title": "t", "content": "c", "tags": ["x"]},
    ):
        assert_error(client.post("/v1/posts", json=other, headers=headers), 422)
    assert _posts(db, me) == 1
    # The key still stands for its first request.
    again = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=headers)
    assert again.headers[REPLAYED] == "true" and again.content == first.content


def test_keys_are_per_user(client: httpx.Client, make_account, db: Database) -> None:
    alice: Account = make_account()
    bob: Account = make_account()
    key, body = _key(), {"title": "t", "content": "c"}
    a = client.post("/v1/posts", json=body, headers={**alice.headers, KEY: key})
    b = client.post("/v1/posts", json=body, headers={**bob.headers, KEY: key})
    assert (a.status_code, b.status_code) == (201, 201)
    assert REPLAYED not in a.headers and REPLAYED not in b.headers
    assert a.json()["data"]["user_id"] == alice.id and b.json()["data"]["user_id"] == bob.id
    assert (_posts(db, alice), _posts(db, bob)) == (1, 1)


def test_without_a_key_every_post_creates(client: httpx.Client, make_account, db: Database) -> None:
    me: Account = make_account()
    for _ in range(2):
        r = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=me.headers)
        assert r.status_code == 201 and REPLAYED not in r.headers
    assert _posts(db, me) == 2


@pytest.mark.parametrize(
    "key",
    [b"", b"k" * 256, "caf\u00e9".encode("latin-1"), b"a\x7fb"],
    ids=["empty", "256-characters", "not-ascii", "control-character"],
)
def test_a_key_outside_the_contract_is_400(
    client: httpx.Client, make_account, db: Database, key: bytes
) -> None:
    me: Account = make_account()
    r = client.post(
        "/v1/posts", json={"title": "t", "content": "c"}, headers={**me.headers, KEY: key}
    )
    assert_error(r, 400, field=KEY)
    assert _posts(db, me) == 0


def test_the_longest_key_and_one_with_inner_spaces_are_taken(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    for key in ("k" * 255, "a key with spaces ~!"):
        headers = {**me.headers, KEY: key}
        for replayed in (False, True):
            r = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=headers)
            assert r.status_code == 201, r.text
            assert (REPLAYED in r.headers) is replayed


def test_a_replay_is_in_followers_feeds_once(client: httpx.Client, make_account) -> None:
    author: Account = make_account()
    follower: Account = make_account()
    assert client.put(f"/v1/users/{author.id}/follow", headers=follower.headers).status_code == 204
    headers = {**author.headers, KEY: _key()}
    ids = {
        client.post("/v1/posts", json={"title": "fan", "content": "out"}, headers=headers).json()[
            "data"
        ]["id"]
        for _ in range(3)
    }
    assert len(ids) == 1
    feed = client.get("/v1/users/feed", headers=follower.headers).json()["data"]
    assert [item["id"] for item in feed] == list(ids)


# --- races ------------------------------------------------------------------------------------


async def _race(base_url: str, account: Account, path: str, body: dict, key: str, n: int):
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as c:
        headers = {**account.headers, KEY: key}
        return await asyncio.gather(*(c.post(path, json=body, headers=headers) for _ in range(n)))


@pytest.mark.parametrize("target", ["post", "comment"])
def test_concurrent_requests_with_one_key_create_exactly_once(
    base_url: str, client: httpx.Client, make_account, db: Database, target: str
) -> None:
    me: Account = make_account()
    post_id = create_post(client, me)["id"] if target == "comment" else None
    path = f"/v1/posts/{post_id}/comments" if post_id else "/v1/posts"
    body = {"content": "racing"} if post_id else {"title": "race", "content": "racing"}
    statuses: Counter[tuple[int, bool]] = Counter()
    rounds, n = 15, 8
    for _ in range(rounds):
        responses = asyncio.run(_race(base_url, me, path, body, _key(), n))
        created = [r for r in responses if r.status_code == 201]
        statuses.update((r.status_code, REPLAYED in r.headers) for r in responses)
        assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
        assert sum(REPLAYED not in r.headers for r in created) == 1
        assert len({r.content for r in created}) == 1  # every 201 is the one answer
        for r in responses:
            if r.status_code == 409:
                assert_error(r, 409)
    assert (_comments(db, post_id) if post_id else _posts(db, me)) == rounds
    print(f"{target}: {rounds} rounds of {n}: {dict(statuses)}")


# --- comments ---------------------------------------------------------------------------------


def test_comments_replay_and_refuse_another_body(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    post_id = create_post(client, me)["id"]
    other_post = create_post(client, me)["id"]
    headers = {**me.headers, KEY: _key()}
    path = f"/v1/posts/{post_id}/comments"
    first = client.post(path, json={"content": "hi"}, headers=headers)
    assert first.status_code == 201 and REPLAYED not in first.headers
    again = client.post(path, json={"content": "hi"}, headers=headers)
    assert (again.status_code, again.content, again.headers[REPLAYED]) == (
        201,
        first.content,
        "true",
    )
    assert_error(client.post(path, json={"content": "bye"}, headers=headers), 422)
    # The same key and body on another post is another request.
    other = f"/v1/posts/{other_post}/comments"
    assert_error(client.post(other, json={"content": "hi"}, headers=headers), 422)
    # ... and a post's key is not a comment's.
    assert_error(
        client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=headers), 422
    )
    assert (_comments(db, post_id), _comments(db, other_post)) == (1, 0)


def test_a_comment_on_a_missing_post_keeps_no_key(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    headers = {**me.headers, KEY: _key()}
    r = client.post(
        "/v1/posts/4611686018427387904/comments", json={"content": "x"}, headers=headers
    )
    assert_error(r, 404)
    post_id = create_post(client, me)["id"]
    # Nothing was kept for the 404: the key is free for the next request.
    r = client.post(f"/v1/posts/{post_id}/comments", json={"content": "x"}, headers=headers)
    assert r.status_code == 201 and REPLAYED not in r.headers


# --- 24 hours ---------------------------------------------------------------------------------


def test_after_the_sweep_a_key_creates_again(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    key = _key()
    headers = {**me.headers, KEY: key}
    first = client.post("/v1/posts", json={"title": "day 1", "content": "c"}, headers=headers)
    assert first.status_code == 201
    db.fetch(
        "UPDATE social.idempotency_keys SET created_at = now() - interval '24 hours 1 second'"
        " WHERE user_id = $1 AND key = $2",
        me.id,
        key,
    )
    deadline = time.monotonic() + 10  # the test server sweeps every 0.5 s
    while db.fetchval(
        "SELECT count(*) FROM social.idempotency_keys WHERE user_id = $1 AND key = $2", me.id, key
    ):
        assert time.monotonic() < deadline, "the sweeper did not remove the key"
        time.sleep(0.1)
    second = client.post("/v1/posts", json={"title": "day 2", "content": "c"}, headers=headers)
    assert second.status_code == 201 and REPLAYED not in second.headers
    assert second.json()["data"]["id"] != first.json()["data"]["id"]
    assert _posts(db, me) == 2

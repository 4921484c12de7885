"""`DELETE /v1/posts/{post_id}/comments/{comment_id}` through the real service: who may, what
answers 404, and the post's comments_count following."""

from __future__ import annotations

import httpx

from tests.helpers import Account, assert_error, create_post


def _comment(client: httpx.Client, post_id: int, who: Account, text: str = "a comment") -> int:
    r = client.post(f"/v1/posts/{post_id}/comments", json={"content": text}, headers=who.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["data"]["id"])


def _delete(client: httpx.Client, post_id: int, comment_id: int, who: Account) -> httpx.Response:
    return client.delete(f"/v1/posts/{post_id}/comments/{comment_id}", headers=who.headers)


def _count(client: httpx.Client, post_id: int, who: Account) -> int:
    return int(
        client.get(f"/v1/posts/{post_id}", headers=who.headers).json()["data"]["comments_count"]
    )


def test_who_may_delete_a_comment(client: httpx.Client, make_account) -> None:
    owner, writer, other = make_account(), make_account(), make_account()
    moderator, admin = make_account("moderator"), make_account("admin")
    post_id = create_post(client, owner)["id"]
    ids = {who: _comment(client, post_id, writer) for who in ("writer", "owner", "mod", "admin")}
    assert _count(client, post_id, other) == 4

    # Another user: 403, and nothing changes.
    assert_error(_delete(client, post_id, ids["writer"], other), 403)
    assert _count(client, post_id, other) == 4

    for who, account in (
        ("writer", writer),
        ("owner", owner),
        ("mod", moderator),
        ("admin", admin),
    ):
        r = _delete(client, post_id, ids[who], account)
        assert r.status_code == 204 and r.content == b"", (who, r.text)
    assert _count(client, post_id, other) == 0
    r = client.get(f"/v1/posts/{post_id}/comments", headers=other.headers)
    assert r.json()["data"] == []


def test_404_for_no_such_comment_on_that_post(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    post_id, elsewhere = create_post(client, me)["id"], create_post(client, me)["id"]
    comment_id = _comment(client, post_id, me)
    assert_error(_delete(client, elsewhere, comment_id, me), 404)  # another post's comment
    assert_error(_delete(client, post_id, comment_id + 10**6, me), 404)
    assert_error(_delete(client, 2**63 - 1, comment_id, me), 404)
    assert_error(client.delete(f"/v1/posts/{post_id}/comments/0", headers=me.headers), 404)
    assert_error(client.delete(f"/v1/posts/{post_id}/comments/-1", headers=me.headers), 404)
    assert _delete(client, post_id, comment_id, me).status_code == 204
    assert_error(_delete(client, post_id, comment_id, me), 404)  # gone


def test_without_a_token_401(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    post_id = create_post(client, me)["id"]
    comment_id = _comment(client, post_id, me)
    assert_error(client.delete(f"/v1/posts/{post_id}/comments/{comment_id}"), 401)
    assert _count(client, post_id, me) == 1

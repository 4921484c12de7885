"""Notifications through the real service: there as soon as the act is answered, gone as soon as
its undoing is; mentions; types; pages; unread and read."""

from __future__ import annotations

import httpx

from tests.helpers import Account, assert_error, create_post


def seen(client: httpx.Client, me: Account, **params: object) -> list[str]:
    r = client.get("/v1/notifications", params=params, headers=me.headers)
    assert r.status_code == 200, r.text
    return [f"{n['type']}:{n['actor']['id']}" for n in r.json()["data"]]


def unread(client: httpx.Client, me: Account) -> int:
    r = client.get("/v1/notifications/unread", headers=me.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]["count"]


def test_acts_notify_at_once_and_their_undoing_removes_them(
    client: httpx.Client, make_account
) -> None:
    me, fan = make_account(), make_account()
    assert client.put(f"/v1/users/{me.id}/follow", headers=fan.headers).status_code == 204
    assert seen(client, me) == [f"follow:{fan.id}"]
    assert client.put(f"/v1/users/{me.id}/unfollow", headers=fan.headers).status_code == 204
    assert seen(client, me) == []
    post = create_post(client, me)
    url = f"/v1/posts/{post['id']}"
    for verb in ("put", "delete", "put", "put"):
        assert client.request(verb.upper(), f"{url}/like", headers=fan.headers).status_code == 204
    assert seen(client, me) == [f"like:{fan.id}"]
    r = client.post(
        f"{url}/comments", json={"content": f"nice, @{me.username}!"}, headers=fan.headers
    )
    assert r.status_code == 201, r.text
    notes = client.get("/v1/notifications", headers=me.headers).json()["data"]
    assert [n["type"] for n in notes] == ["comment", "like"]
    assert notes[0]["post"] == {"id": post["id"], "title": post["title"]}
    assert notes[0]["comment"]["id"] == r.json()["data"]["id"]
    assert notes[1]["comment"] is None and set(notes[1]) == {
        "id",
        "type",
        "created_at",
        "read",
        "actor",
        "post",
        "comment",
    }
    assert client.delete(url, headers=me.headers).status_code == 204
    assert seen(client, me) == []


def test_mentions_in_posts_and_edits(client: httpx.Client, make_account) -> None:
    me, writer = make_account(), make_account()
    post = create_post(client, writer, title="hello", content=f"thanks @{me.username.upper()}.")
    assert seen(client, me) == [f"mention:{writer.id}"]
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"content": "thanks all", "version": 1},
        headers=writer.headers,
    )
    assert r.status_code == 200, r.text
    assert seen(client, me) == []
    create_post(client, writer, title="mail", content=f"x@{me.username}.com is no mention")
    assert seen(client, me) == []


def test_types_pages_unread_and_read(client: httpx.Client, make_account) -> None:
    me = make_account()
    fans = [make_account() for _ in range(3)]
    post = create_post(client, me)
    for fan in fans:
        assert client.put(f"/v1/users/{me.id}/follow", headers=fan.headers).status_code == 204
        assert client.put(f"/v1/posts/{post['id']}/like", headers=fan.headers).status_code == 204
    assert seen(client, me, types="like") == [f"like:{f.id}" for f in reversed(fans)]
    assert unread(client, me) == 6
    got, url = [], "/v1/notifications?limit=4"
    while url:
        r = client.get(url, headers=me.headers)
        got += r.json()["data"]
        url = r.links.get("next", {}).get("url")
    assert len(got) == 6 and [n["id"] for n in got] == sorted((n["id"] for n in got), reverse=True)
    up_to = got[2]["id"]  # the four oldest and this one
    assert (
        client.post("/v1/notifications/read", json={"up_to": up_to}, headers=me.headers).status_code
        == 204
    )
    assert unread(client, me) == 2
    assert client.post("/v1/notifications/read", json={}, headers=me.headers).status_code == 204
    assert unread(client, me) == 0
    assert all(
        n["read"] for n in client.get("/v1/notifications", headers=me.headers).json()["data"]
    )
    assert_error(client.get("/v1/notifications?types=poke", headers=me.headers), 400, "types")
    assert_error(client.get("/v1/notifications?limit=51", headers=me.headers), 400, "limit")
    assert_error(client.get("/v1/notifications?offset=0", headers=me.headers), 400, "offset")
    assert_error(client.post("/v1/notifications/read", json={"up_to": 0}, headers=me.headers), 400)
    assert_error(client.post("/v1/notifications/read", headers=me.headers), 400, "body")
    assert_error(client.get("/v1/notifications"), 401)


def test_mutes_hide_and_blocks_remove(client: httpx.Client, make_account) -> None:
    me, pest = make_account(), make_account()
    assert client.put(f"/v1/users/{me.id}/follow", headers=pest.headers).status_code == 204
    assert client.put(f"/v1/users/{pest.id}/mute", headers=me.headers).status_code == 204
    assert seen(client, me) == [] and unread(client, me) == 0
    assert client.delete(f"/v1/users/{pest.id}/mute", headers=me.headers).status_code == 204
    assert seen(client, me) == [f"follow:{pest.id}"]
    assert client.put(f"/v1/users/{me.id}/block", headers=pest.headers).status_code == 204
    assert seen(client, me) == []
    assert client.delete(f"/v1/users/{me.id}/block", headers=pest.headers).status_code == 204
    assert seen(client, me) == []  # a block's removal is not undone

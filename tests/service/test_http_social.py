"""Revision 1.2's relations through the real service: blocks, mutes, likes, relationship, and
the lists of users (cursor pages, newest first, `offset` refused)."""

from __future__ import annotations

import httpx

from tests.helpers import Account, assert_error, create_post


def relationship(client: httpx.Client, me: Account, other: Account) -> dict:
    r = client.get(f"/v1/users/{other.id}/relationship", headers=me.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def follow(client: httpx.Client, me: Account, other: Account) -> httpx.Response:
    return client.put(f"/v1/users/{other.id}/follow", headers=me.headers)


def test_a_block_ends_the_follows_and_separates_both_ways(
    client: httpx.Client, make_account
) -> None:
    ann, ben = make_account(), make_account()
    assert follow(client, ann, ben).status_code == 204
    assert follow(client, ben, ann).status_code == 204
    assert relationship(client, ann, ben) == {
        "following": True,
        "followed_by": True,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
    }
    assert client.put(f"/v1/users/{ben.id}/block", headers=ann.headers).status_code == 204
    assert client.put(f"/v1/users/{ben.id}/block", headers=ann.headers).status_code == 204
    assert relationship(client, ann, ben) == {
        "following": False,
        "followed_by": False,
        "blocking": True,
        "blocked_by": False,
        "muting": False,
    }
    assert relationship(client, ben, ann)["blocked_by"] is True
    assert_error(follow(client, ben, ann), 404)
    assert_error(follow(client, ann, ben), 404)
    assert_error(client.put(f"/v1/users/{ann.id}/unfollow", headers=ben.headers), 404)
    post = create_post(client, ann)
    assert_error(client.put(f"/v1/posts/{post['id']}/like", headers=ben.headers), 404)
    assert_error(client.get(f"/v1/posts/{post['id']}/likes", headers=ben.headers), 404)
    # Unblocking restores sight, not the follows.
    assert client.delete(f"/v1/users/{ben.id}/block", headers=ann.headers).status_code == 204
    assert client.delete(f"/v1/users/{ben.id}/block", headers=ann.headers).status_code == 204
    assert relationship(client, ann, ben) == {
        "following": False,
        "followed_by": False,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
    }
    assert follow(client, ben, ann).status_code == 204


def test_block_and_mute_errors(client: httpx.Client, make_account) -> None:
    me = make_account()
    for verb in ("block", "mute"):
        assert_error(client.put(f"/v1/users/{me.id}/{verb}", headers=me.headers), 400)
        assert_error(client.put(f"/v1/users/999999999/{verb}", headers=me.headers), 404)
        assert_error(client.delete(f"/v1/users/999999999/{verb}", headers=me.headers), 404)
        assert_error(client.put(f"/v1/users/{me.id}/{verb}"), 401)
    assert_error(client.get("/v1/users/999999999/relationship", headers=me.headers), 404)


def test_a_mute_is_one_way_and_listed(client: httpx.Client, make_account) -> None:
    ann, ben = make_account(), make_account()
    assert client.put(f"/v1/users/{ben.id}/mute", headers=ann.headers).status_code == 204
    assert relationship(client, ann, ben)["muting"] is True
    assert relationship(client, ben, ann) == {
        "following": False,
        "followed_by": False,
        "blocking": False,
        "blocked_by": False,
        "muting": False,
    }
    r = client.get("/v1/users/me/mutes", headers=ann.headers)
    assert r.json()["data"] == [{"id": ben.id, "username": ben.username}]
    assert client.delete(f"/v1/users/{ben.id}/mute", headers=ann.headers).status_code == 204
    assert client.get("/v1/users/me/mutes", headers=ann.headers).json()["data"] == []


def test_lists_of_users_are_cursor_pages_newest_first(client: httpx.Client, make_account) -> None:
    me = make_account()
    others = [make_account() for _ in range(5)]
    for other in others:
        assert client.put(f"/v1/users/{other.id}/block", headers=me.headers).status_code == 204
    # Blocking again does not move an item.
    assert client.put(f"/v1/users/{others[0].id}/block", headers=me.headers).status_code == 204
    seen, url = [], "/v1/users/me/blocks?limit=2"
    while url:
        r = client.get(url, headers=me.headers)
        assert r.status_code == 200, r.text
        seen += [u["id"] for u in r.json()["data"]]
        url = r.links.get("next", {}).get("url")
    assert seen == [o.id for o in reversed(others)]
    assert_error(client.get("/v1/users/me/blocks?offset=0", headers=me.headers), 400, "offset")
    assert_error(client.get("/v1/users/me/blocks?limit=101", headers=me.headers), 400, "limit")
    assert_error(client.get("/v1/users/me/mutes?cursor=nonsense", headers=me.headers), 400)
    # A cursor of one list is not one of another.
    r = client.get("/v1/users/me/blocks?limit=1", headers=me.headers)
    cursor = r.links["next"]["url"].split("cursor=")[1]
    assert_error(client.get(f"/v1/users/me/mutes?cursor={cursor}", headers=me.headers), 400)


def test_likes(client: httpx.Client, make_account) -> None:
    author, fan, other = make_account(), make_account(), make_account()
    post = create_post(client, author)
    url = f"/v1/posts/{post['id']}"
    for who in (fan, other, fan):
        assert client.put(f"{url}/like", headers=who.headers).status_code == 204
    r = client.get(f"{url}/likes", headers=author.headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == [
        {"id": other.id, "username": other.username},
        {"id": fan.id, "username": fan.username},
    ]
    assert client.delete(f"{url}/like", headers=fan.headers).status_code == 204
    assert client.delete(f"{url}/like", headers=fan.headers).status_code == 204
    assert [u["id"] for u in client.get(f"{url}/likes", headers=author.headers).json()["data"]] == [
        other.id
    ]
    assert_error(client.put("/v1/posts/999999999/like", headers=fan.headers), 404)
    assert_error(client.get("/v1/posts/999999999/likes", headers=fan.headers), 404)
    assert_error(client.get(f"{url}/likes?offset=5", headers=fan.headers), 400, "offset")
    # A liker separated from the viewer is left out of what the viewer sees.
    assert client.put(f"/v1/users/{other.id}/block", headers=fan.headers).status_code == 204
    assert client.get(f"{url}/likes", headers=fan.headers).json()["data"] == []


def test_profiles_by_username_search_and_follow_lists(client: httpx.Client, make_account) -> None:
    me, fan, other = make_account(), make_account(), make_account()
    assert follow(client, fan, me).status_code == 204
    assert follow(client, other, me).status_code == 204
    r = client.get(f"/v1/users/by-username/{me.username.upper()}", headers=fan.headers)
    assert r.status_code == 200, r.text
    profile = r.json()["data"]
    assert profile["id"] == me.id and "email" not in profile
    assert (profile["followers_count"], profile["following_count"]) == (2, 0)
    assert_error(client.get("/v1/users/by-username/nobody.at.all", headers=me.headers), 404)
    r = client.get(f"/v1/users/{me.id}/followers", headers=fan.headers)
    assert [u["id"] for u in r.json()["data"]] == [other.id, fan.id]
    r = client.get(f"/v1/users/{fan.id}/following", headers=me.headers)
    assert r.json()["data"] == [{"id": me.id, "username": me.username}]
    r = client.get("/v1/users", params={"q": me.username}, headers=fan.headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["id"] == me.id and "email" not in r.json()["data"][0]
    assert_error(client.get("/v1/users", headers=me.headers), 400, "q")
    assert_error(client.get("/v1/users", params={"q": "a", "limit": 21}, headers=me.headers), 400)


def test_a_block_hides_the_profile_everywhere_at_once(client: httpx.Client, make_account) -> None:
    ann, ben, cat = make_account(), make_account(), make_account()
    assert follow(client, cat, ann).status_code == 204
    # Both profiles cached as each other's readers see them.
    assert client.get(f"/v1/users/{ann.id}", headers=ben.headers).status_code == 200
    assert client.get(f"/v1/users/{ben.id}", headers=ann.headers).status_code == 200
    assert client.put(f"/v1/users/{ben.id}/block", headers=ann.headers).status_code == 204
    for reader, other in ((ben, ann), (ann, ben)):
        assert_error(client.get(f"/v1/users/{other.id}", headers=reader.headers), 404)
        assert_error(
            client.get(f"/v1/users/by-username/{other.username}", headers=reader.headers), 404
        )
        assert_error(client.get(f"/v1/users/{other.id}/followers", headers=reader.headers), 404)
        assert_error(client.get(f"/v1/users/{other.id}/following", headers=reader.headers), 404)
        found = client.get("/v1/users", params={"q": other.username}, headers=reader.headers)
        assert found.json()["data"] == []
    # A third user's lists, as the blocked user reads them, leave the blocker out.
    r = client.get(f"/v1/users/{cat.id}/following", headers=ben.headers)
    assert r.json()["data"] == []
    assert client.delete(f"/v1/users/{ben.id}/block", headers=ann.headers).status_code == 204
    assert client.get(f"/v1/users/{ann.id}", headers=ben.headers).status_code == 200

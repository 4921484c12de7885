"""Profiles, follows, the feed and roles through the real service."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from tests.helpers import POST_KEYS, Account, Database, assert_error, create_post

USER_KEYS = {
    "id",
    "username",
    "email",
    "created_at",
    "is_active",
    "role",
    "followers_count",
    "following_count",
    "posts_count",
}


# --- GET /v1/users/{id} -----------------------------------------------------------------------


def test_get_self_shows_email(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    r = client.get(f"/v1/users/{me.id}", headers=me.headers)
    assert r.status_code == 200, r.text
    user = r.json()["data"]
    assert set(user) == USER_KEYS
    assert user["id"] == me.id and user["username"] == me.username and user["email"] == me.email
    assert user["is_active"] is True
    assert user["role"] == {"id": 1, "name": "user", "level": 1}
    assert datetime.fromisoformat(user["created_at"]).tzinfo is not None


def test_get_other_hides_email_except_for_admins(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    other: Account = make_account()
    admin: Account = make_account(role="admin")
    moderator: Account = make_account(role="moderator")
    for viewer in (me, moderator):
        r = client.get(f"/v1/users/{other.id}", headers=viewer.headers)
        assert r.status_code == 200, r.text
        user = r.json()["data"]
        assert set(user) == USER_KEYS - {"email"}
        assert user["username"] == other.username
        assert other.email not in r.text
    r = client.get(f"/v1/users/{other.id}", headers=admin.headers)
    assert r.status_code == 200 and r.json()["data"]["email"] == other.email


@pytest.mark.parametrize(
    "user_id",
    ["0", "-1", "99999999999999999999", "9223372036854775808", "abc", "1.5", "4611686018427387904"],
)
def test_get_unknown_or_invalid_id_is_404(client: httpx.Client, make_account, user_id: str) -> None:
    me: Account = make_account()
    assert_error(client.get(f"/v1/users/{user_id}", headers=me.headers), 404)


# --- follow / unfollow ------------------------------------------------------------------------


def test_follow_and_unfollow(client: httpx.Client, make_account, db: Database) -> None:
    me: Account = make_account()
    other: Account = make_account()
    r = client.put(f"/v1/users/{other.id}/follow", headers=me.headers)
    assert r.status_code == 204 and r.content == b""
    assert (
        db.fetchval(
            "SELECT count(*) FROM social.followers WHERE user_id = $1 AND follower_id = $2",
            other.id,
            me.id,
        )
        == 1
    )
    assert_error(client.put(f"/v1/users/{other.id}/follow", headers=me.headers), 409)
    r = client.put(f"/v1/users/{other.id}/unfollow", headers=me.headers)
    assert r.status_code == 204 and r.content == b""
    assert db.fetchval("SELECT count(*) FROM social.followers WHERE follower_id = $1", me.id) == 0
    # Not following any more: still 204.
    assert client.put(f"/v1/users/{other.id}/unfollow", headers=me.headers).status_code == 204
    # And one may follow again.
    assert client.put(f"/v1/users/{other.id}/follow", headers=me.headers).status_code == 204


def test_follow_self_is_400(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    assert_error(client.put(f"/v1/users/{me.id}/follow", headers=me.headers), 400)


@pytest.mark.parametrize(
    "user_id", ["4611686018427387904", "0", "-1", "99999999999999999999", "abc"]
)
@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_unknown_user_is_404(
    client: httpx.Client, make_account, user_id: str, action: str
) -> None:
    me: Account = make_account()
    assert_error(client.put(f"/v1/users/{user_id}/{action}", headers=me.headers), 404)


# --- feed -------------------------------------------------------------------------------------

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def feed_world(client: httpx.Client, make_account, db: Database):
    """`me` follows `friend`, not `stranger`; five posts at known, distinct times."""
    me: Account = make_account()
    friend: Account = make_account()
    stranger: Account = make_account()
    assert client.put(f"/v1/users/{friend.id}/follow", headers=me.headers).status_code == 204
    # The stranger follows me: that does not put the stranger's posts in my feed.
    assert client.put(f"/v1/users/{me.id}/follow", headers=stranger.headers).status_code == 204
    specs = [
        (me, "Mine first", "plain words", ["go", "sql"]),
        (friend, "Friend says", "Hello WORLD from a friend", ["go"]),
        (me, "Mine second", "100% literal_text", ["sql"]),
        (friend, "Another", "nothing here", ["go", "sql", "redis"]),
        (me, "Latest", "the world is round", []),
    ]
    posts = []
    for i, (author, title, content, tags) in enumerate(specs):
        post = create_post(client, author, title, content=content, tags=tags)
        db.fetch(
            "UPDATE social.posts SET created_at = $2 WHERE id = $1",
            post["id"],
            T0 + timedelta(hours=i),
        )
        posts.append(post)
    create_post(client, stranger, "Stranger post", content="world world", tags=["go"])
    return me, friend, stranger, [p["id"] for p in posts]


def test_me_is_the_caller_with_its_email(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    other: Account = make_account()
    r = client.get("/v1/users/me", headers=me.headers)
    assert r.status_code == 200, r.text
    user = r.json()["data"]
    assert (user["id"], user["username"], user["email"]) == (me.id, me.username, me.email)
    assert client.get("/v1/users/me", headers=other.headers).json()["data"]["id"] == other.id
    assert_error(client.get("/v1/users/me"), 401)


def _feed(client: httpx.Client, account: Account, **params) -> list[dict]:
    r = client.get("/v1/users/feed", params=params, headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def test_feed_holds_own_and_followed_posts_newest_first(client: httpx.Client, feed_world) -> None:
    me, _, _, ids = feed_world
    items = _feed(client, me)
    assert [p["id"] for p in items] == ids[::-1]
    post = items[0]
    assert set(post) == POST_KEYS
    assert post["user"] == {"id": me.id, "username": me.username}
    assert post["tags"] == [] and post["comments_count"] == 0


def test_feed_of_a_new_user_is_empty(client: httpx.Client, make_account) -> None:
    assert _feed(client, make_account()) == []


def test_feed_sort_limit_offset(client: httpx.Client, feed_world) -> None:
    me, _, _, ids = feed_world
    assert [p["id"] for p in _feed(client, me, sort="asc")] == ids
    assert [p["id"] for p in _feed(client, me, sort="desc")] == ids[::-1]
    assert [p["id"] for p in _feed(client, me, limit=2)] == ids[::-1][:2]
    assert [p["id"] for p in _feed(client, me, limit=2, offset=2)] == ids[::-1][2:4]
    assert [p["id"] for p in _feed(client, me, sort="asc", limit=2, offset=4)] == ids[4:]
    assert _feed(client, me, offset=5) == []


def test_feed_tags_match_all_of_them(client: httpx.Client, feed_world) -> None:
    me, _, _, ids = feed_world
    assert [p["id"] for p in _feed(client, me, tags="go", sort="asc")] == [ids[0], ids[1], ids[3]]
    assert [p["id"] for p in _feed(client, me, tags="go,sql", sort="asc")] == [ids[0], ids[3]]
    assert [p["id"] for p in _feed(client, me, tags="sql,redis,go")] == [ids[3]]
    assert _feed(client, me, tags="go,nosuchtag") == []


def test_feed_search_is_case_insensitive_and_literal(client: httpx.Client, feed_world) -> None:
    me, _, _, ids = feed_world
    # In content ("WORLD", "world") and in title; the stranger's "world world" stays out.
    assert [p["id"] for p in _feed(client, me, search="wOrLd", sort="asc")] == [ids[1], ids[4]]
    assert [p["id"] for p in _feed(client, me, search="MINE")] == [ids[2], ids[0]]
    assert [p["id"] for p in _feed(client, me, search="100%")] == [ids[2]]
    assert [p["id"] for p in _feed(client, me, search="l_t")] == [ids[2]]
    assert _feed(client, me, search="%") == [_feed(client, me)[2]]
    assert _feed(client, me, search="no such text") == []


def test_feed_since_until_are_inclusive(client: httpx.Client, feed_world) -> None:
    me, _, _, ids = feed_world
    since = (T0 + timedelta(hours=1)).isoformat()
    until = (T0 + timedelta(hours=3)).isoformat()
    assert [p["id"] for p in _feed(client, me, since=since, sort="asc")] == ids[1:]
    assert [p["id"] for p in _feed(client, me, until=until, sort="asc")] == ids[:4]
    assert [p["id"] for p in _feed(client, me, since=since, until=until, sort="asc")] == ids[1:4]
    # The same instants written with other offsets.
    plus_two = timezone(timedelta(hours=2))
    minus_five = timezone(timedelta(hours=-5, minutes=-30))
    since_other = (T0 + timedelta(hours=1)).astimezone(minus_five).isoformat()
    until_other = (T0 + timedelta(hours=3)).astimezone(plus_two).isoformat()
    assert [p["id"] for p in _feed(client, me, since=since_other, sort="asc")] == ids[1:]
    assert [p["id"] for p in _feed(client, me, until=until_other, sort="asc")] == ids[:4]
    zulu = _feed(client, me, since="2026-03-01T13:00:00Z", sort="asc")
    assert [p["id"] for p in zulu] == ids[1:]


def _in_pages_of_two(client: httpx.Client, account: Account, **params) -> list[int]:
    """The feed read two posts at a time by `offset`, up to the first short page: its ids."""
    ids: list[int] = []
    for offset in range(0, 20, 2):
        page = _feed(client, account, limit=2, offset=offset, **params)
        ids += [p["id"] for p in page]
        if len(page) < 2:
            break
    return ids


def test_feed_filtered_path_in_ascending_order(
    client: httpx.Client, make_account, db: Database
) -> None:
    """`tags` and `search` take the feed's filtered path (db/functions/user_feed.sql), alone and
    with `since`/`until`: oldest first, only matching posts, only the caller's own and its
    followed users'. Each of the two authors has more matches than a page, so reading page by
    page shows that each one's posts are walked in order and merged without skips or repeats."""
    me: Account = make_account()
    friend: Account = make_account()
    stranger: Account = make_account()  # followed by my friend, following me: not in my feed
    for follower, followed in ((me, friend), (friend, stranger), (stranger, me)):
        r = client.put(f"/v1/users/{followed.id}/follow", headers=follower.headers)
        assert r.status_code == 204, r.text
    # (author, tags, content) of posts an hour apart from T0.
    specs = [
        (me, ["go"], "a needle"),  # 0
        (friend, ["go", "sql"], "hay"),  # 1
        (friend, ["go"], "needle here"),  # 2
        (me, ["sql"], "needle"),  # 3
        (me, ["go"], "NEEDLE"),  # 4
        (stranger, ["go"], "needle"),  # 5: matches every filter below
        (friend, ["go"], "a Needle"),  # 6
        (me, ["go", "sql"], "hay"),  # 7
        (friend, ["go"], "needle"),  # 8
        (me, ["go"], "needles"),  # 9
        (friend, ["redis"], "needle"),  # 10
    ]
    ids = []
    for hour, (author, tags, content) in enumerate(specs):
        post = create_post(client, author, f"post {hour}", content=content, tags=tags)
        db.fetch(
            "UPDATE social.posts SET created_at = $2 WHERE id = $1",
            post["id"],
            T0 + timedelta(hours=hour),
        )
        ids.append(post["id"])
    since = (T0 + timedelta(hours=2)).isoformat()  # inclusive bounds, on posts 2 and 9
    until = (T0 + timedelta(hours=9)).isoformat()
    cases = [
        ({"tags": "go"}, [0, 1, 2, 4, 6, 7, 8, 9]),
        ({"search": "needle"}, [0, 2, 3, 4, 6, 8, 9, 10]),
        ({"tags": "go", "since": since, "until": until}, [2, 4, 6, 7, 8, 9]),
        ({"search": "needle", "since": since, "until": until}, [2, 3, 4, 6, 8, 9]),
        ({"tags": "go", "search": "needle", "since": since}, [2, 4, 6, 8, 9]),
        ({"tags": "go", "search": "needle", "until": until}, [0, 2, 4, 6, 8, 9]),
    ]
    for params, expected in cases:
        want = [ids[n] for n in expected]
        assert [p["id"] for p in _feed(client, me, sort="asc", **params)] == want, params
        assert _in_pages_of_two(client, me, sort="asc", **params) == want, params


def test_feed_after_unfollow_drops_their_posts(client: httpx.Client, feed_world) -> None:
    me, friend, _, ids = feed_world
    assert client.put(f"/v1/users/{friend.id}/unfollow", headers=me.headers).status_code == 204
    assert [p["id"] for p in _feed(client, me, sort="asc")] == [ids[0], ids[2], ids[4]]


def test_a_large_fan_out_reaches_followers_after_the_post(
    client: httpx.Client, make_account, db: Database
) -> None:
    """Past fanout_inline_limit followers a post is queued: readers see it at once, and the
    service's drainer (nothing else calls api.fan_out_queued here) copies it soon after."""
    author, *followers = (make_account() for _ in range(3))
    for follower in followers:
        r = client.put(f"/v1/users/{author.id}/follow", headers=follower.headers)
        assert r.status_code == 204
    limit = db.fetchval("SELECT fanout_inline_limit FROM social.feed_settings")
    db.fetch("UPDATE social.feed_settings SET fanout_inline_limit = 1")
    try:
        post = create_post(client, author, "for many")
        for follower in followers:
            assert _feed(client, follower, limit="1")[0]["id"] == post["id"]
        deadline = time.monotonic() + 10
        copied = "SELECT count(*) FROM social.timeline WHERE post_id = $1"
        while db.fetchval(copied, post["id"]) < 1 + len(followers):
            assert time.monotonic() < deadline, "the queued post was never copied"
            time.sleep(0.05)
        assert db.fetchval("SELECT count(*) FROM social.fanout_queue") == 0
    finally:
        db.fetch("UPDATE social.feed_settings SET fanout_inline_limit = $1", limit)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "21"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"sort": "sideways"}, "sort"),
        ({"tags": "a,b,c,d,e,f"}, "tags"),
        ({"tags": "x" * 33}, "tags"),
        ({"search": "s" * 101}, "search"),
        ({"since": "yesterday"}, "since"),
        ({"since": "2026-03-01"}, "since"),
        ({"since": "2026-03-01T12:00:00"}, "since"),  # no offset
        ({"until": "03/01/2026 12:00"}, "until"),
    ],
)
def test_feed_rejects_invalid_query(
    client: httpx.Client, make_account, params: dict, field: str
) -> None:
    me: Account = make_account()
    r = client.get("/v1/users/feed", params=params, headers=me.headers)
    assert_error(r, 400, field)


def test_feed_accepts_the_bounds(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    for params in (
        {"limit": 1},
        {"limit": 20},
        {"offset": 0},
        {"search": "s" * 100},
        {"tags": "a,b,c,d,e"},
    ):
        assert _feed(client, me, **params) == []


# --- role -------------------------------------------------------------------------------------


def test_admin_sets_a_role_and_it_takes_effect_at_once(client: httpx.Client, make_account) -> None:
    admin: Account = make_account(role="admin")
    target: Account = make_account()
    author: Account = make_account()
    post = create_post(client, author)
    # The target's profile is cached by its own requests ...
    assert client.get(f"/v1/users/{target.id}", headers=target.headers).status_code == 200
    assert_error(
        client.patch(
            f"/v1/posts/{post['id']}",
            json={"title": "edited", "version": 1},
            headers=target.headers,
        ),
        403,
    )
    r = client.put(f"/v1/users/{target.id}/role", json={"role": "moderator"}, headers=admin.headers)
    assert r.status_code == 200, r.text
    user = r.json()["data"]
    assert set(user) == USER_KEYS
    assert user["id"] == target.id
    assert user["role"] == {"id": 2, "name": "moderator", "level": 2}
    # ... and still the new role shows immediately, both in its profile and in its rights.
    me = client.get(f"/v1/users/{target.id}", headers=target.headers).json()["data"]
    assert me["role"]["name"] == "moderator"
    r = client.patch(
        f"/v1/posts/{post['id']}", json={"title": "edited", "version": 1}, headers=target.headers
    )
    assert r.status_code == 200, r.text
    # Demoted again, the right goes at once as well.
    r = client.put(f"/v1/users/{target.id}/role", json={"role": "user"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["data"]["role"]["name"] == "user"
    assert_error(
        client.patch(
            f"/v1/posts/{post['id']}",
            json={"title": "again", "version": 2},
            headers=target.headers,
        ),
        403,
    )


def test_admin_makes_another_admin(client: httpx.Client, make_account) -> None:
    admin: Account = make_account(role="admin")
    target: Account = make_account()
    r = client.put(f"/v1/users/{target.id}/role", json={"role": "admin"}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["data"]["role"]["level"] == 3
    other: Account = make_account()
    r = client.get(f"/v1/users/{other.id}", headers=target.headers)
    assert r.json()["data"]["email"] == other.email


@pytest.mark.parametrize("role", [None, "moderator"])
def test_set_role_by_non_admin_is_403(client: httpx.Client, make_account, role) -> None:
    actor: Account = make_account(role=role)
    target: Account = make_account()
    for body in ({"role": "admin"}, {"role": "user"}):
        r = client.put(f"/v1/users/{target.id}/role", json=body, headers=actor.headers)
        assert_error(r, 403)
    # Not even for itself.
    r = client.put(f"/v1/users/{actor.id}/role", json={"role": "admin"}, headers=actor.headers)
    assert_error(r, 403)
    me = client.get(f"/v1/users/{actor.id}", headers=actor.headers).json()["data"]
    assert me["role"]["name"] == (role or "user")


@pytest.mark.parametrize("body", [{"role": "superuser"}, {"role": "Admin"}, {"role": 3}, {}])
def test_set_role_rejects_unknown_roles(client: httpx.Client, make_account, body: dict) -> None:
    admin: Account = make_account(role="admin")
    target: Account = make_account()
    r = client.put(f"/v1/users/{target.id}/role", json=body, headers=admin.headers)
    assert_error(r, 400)


@pytest.mark.parametrize("user_id", ["4611686018427387904", "0", "abc"])
def test_set_role_of_unknown_user_is_404(client: httpx.Client, make_account, user_id) -> None:
    admin: Account = make_account(role="admin")
    r = client.put(f"/v1/users/{user_id}/role", json={"role": "user"}, headers=admin.headers)
    assert_error(r, 404)

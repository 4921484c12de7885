"""Posts, version-checked edits and comments through the real service."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from tests.helpers import POST_KEYS, Account, Database, assert_error, create_post

COMMENT_KEYS = {"id", "post_id", "user_id", "content", "created_at", "user"}
MISSING = "4611686018427387904"  # a valid id no post will reach
BAD_IDS = ["0", "-1", "99999999999999999999", "abc", MISSING]


# --- create -----------------------------------------------------------------------------------


def test_create_post(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    r = client.post(
        "/v1/posts",
        json={"title": "Hello", "content": "First post", "tags": ["b", "a", "b", "c", "a"]},
        headers=me.headers,
    )
    assert r.status_code == 201, r.text
    post = r.json()["data"]
    assert set(post) == POST_KEYS
    assert post["title"] == "Hello" and post["content"] == "First post"
    assert post["tags"] == ["b", "a", "c"]  # duplicates removed, order kept
    assert post["version"] == 1 and post["comments_count"] == 0
    assert post["user_id"] == me.id and post["user"] == {"id": me.id, "username": me.username}
    assert datetime.fromisoformat(post["created_at"]).tzinfo is not None
    assert datetime.fromisoformat(post["updated_at"]).tzinfo is not None


def test_create_post_without_tags_has_empty_list(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    assert create_post(client, me)["tags"] == []
    assert create_post(client, me, tags=[])["tags"] == []


def test_create_post_bounds_are_inclusive(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    tags = [f"t{i}" for i in range(10)] + ["t0", "t1"]  # 12 given, 10 distinct
    post = create_post(client, me, "T" * 100, content="é" * 1000, tags=tags)
    assert len(post["title"]) == 100 and len(post["content"]) == 1000
    assert post["tags"] == [f"t{i}" for i in range(10)]
    assert create_post(client, me, tags=["x" * 32])["tags"] == ["x" * 32]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": "t" * 101}, "title"),
        ({"title": ""}, "title"),
        ({"content": ""}, "content"),
        ({"content": "c" * 1001}, "content"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"tags": ["x" * 33]}, "tags.0"),
        ({"tags": [""]}, "tags.0"),
        ({"tags": "go"}, "tags"),
        ({"tags": [1]}, "tags.0"),
        ({"title": 5}, "title"),
    ],
)
def test_create_post_rejects_invalid_input(
    client: httpx.Client, make_account, change: dict, field: str
) -> None:
    me: Account = make_account()
    body = {"title": "ok", "content": "ok", **change}
    assert_error(client.post("/v1/posts", json=body, headers=me.headers), 400, field)


def test_create_post_rejects_missing_fields_and_bad_json(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    body = assert_error(client.post("/v1/posts", json={}, headers=me.headers), 400)
    assert {d["field"] for d in body["details"]} == {"title", "content"}
    headers = {**me.headers, "Content-Type": "application/json"}
    assert_error(client.post("/v1/posts", content=b'{"title": "x",', headers=headers), 400)
    big = {"title": "t", "content": "c" * (1024 * 1024 + 1)}
    assert_error(client.post("/v1/posts", json=big, headers=me.headers), 413)


# --- get --------------------------------------------------------------------------------------


def test_get_post_counts_comments(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    other: Account = make_account()
    post = create_post(client, me, tags=["x"])
    for author in (me, other, other):
        r = client.post(
            f"/v1/posts/{post['id']}/comments", json={"content": "hi"}, headers=author.headers
        )
        assert r.status_code == 201
    r = client.get(f"/v1/posts/{post['id']}", headers=other.headers)
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    assert set(got) == POST_KEYS
    assert got["comments_count"] == 3
    assert {k: v for k, v in got.items() if k != "comments_count"} == {
        k: v for k, v in post.items() if k != "comments_count"
    }


@pytest.mark.parametrize("post_id", BAD_IDS)
def test_get_unknown_post_is_404(client: httpx.Client, make_account, post_id: str) -> None:
    me: Account = make_account()
    assert_error(client.get(f"/v1/posts/{post_id}", headers=me.headers), 404)


# --- patch ------------------------------------------------------------------------------------


def test_patch_post_bumps_version(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    post = create_post(client, me, "before", content="same", tags=["a"])
    r = client.patch(
        f"/v1/posts/{post['id']}", json={"title": "after", "version": 1}, headers=me.headers
    )
    assert r.status_code == 200, r.text
    edited = r.json()["data"]
    assert set(edited) == POST_KEYS
    assert edited["version"] == 2
    assert edited["title"] == "after" and edited["content"] == "same" and edited["tags"] == ["a"]
    assert edited["created_at"] == post["created_at"]
    assert edited["updated_at"] >= post["updated_at"]
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"tags": ["z", "y", "z"], "content": "new", "version": 2},
        headers=me.headers,
    )
    assert r.status_code == 200, r.text
    edited = r.json()["data"]
    assert edited["version"] == 3 and edited["tags"] == ["z", "y"] and edited["content"] == "new"
    r = client.patch(f"/v1/posts/{post['id']}", json={"tags": [], "version": 3}, headers=me.headers)
    assert r.status_code == 200 and r.json()["data"]["tags"] == []


# RFC 9110 §13.1.1: a list of entity-tags (empty elements allowed) of which the current version
# must be one.
@pytest.mark.parametrize("if_match", ['"1"', '"7", "1"', ', "1" ,, "3",', 'W/"1", "1"'])
def test_patch_with_if_match(client: httpx.Client, make_account, if_match: str) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"content": "via If-Match"},
        headers={**me.headers, "If-Match": if_match},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["version"] == 2
    # The header is version-checked like the field.
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"content": "stale"},
        headers={**me.headers, "If-Match": if_match},
    )
    assert_error(r, 409)


def test_patch_stale_version_is_409_and_changes_nothing(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    post = create_post(client, me, "original", content="original content")
    first = client.patch(
        f"/v1/posts/{post['id']}", json={"title": "first", "version": 1}, headers=me.headers
    )
    assert first.status_code == 200
    before = client.get(f"/v1/posts/{post['id']}", headers=me.headers).json()["data"]
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"title": "second", "content": "lost", "version": 1},
        headers=me.headers,
    )
    assert_error(r, 409)
    after = client.get(f"/v1/posts/{post['id']}", headers=me.headers).json()["data"]
    assert after == before
    assert after["title"] == "first" and after["version"] == 2
    # A version from the future is stale too.
    r = client.patch(
        f"/v1/posts/{post['id']}", json={"title": "x", "version": 99}, headers=me.headers
    )
    assert_error(r, 409)


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_moderators_and_admins_edit_any_post(client: httpx.Client, make_account, role) -> None:
    owner: Account = make_account()
    staff: Account = make_account(role=role)
    post = create_post(client, owner)
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"content": "moderated", "version": 1},
        headers=staff.headers,
    )
    assert r.status_code == 200, r.text
    edited = r.json()["data"]
    assert edited["content"] == "moderated" and edited["version"] == 2
    assert edited["user_id"] == owner.id  # still the owner's post


@pytest.mark.parametrize("post_id", BAD_IDS)
def test_patch_unknown_post_is_404(client: httpx.Client, make_account, post_id: str) -> None:
    me: Account = make_account()
    r = client.patch(f"/v1/posts/{post_id}", json={"title": "x", "version": 1}, headers=me.headers)
    assert_error(r, 404)


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ({"title": "no version"}, {}, "version"),
        ({}, {}, "version"),
        ({"title": "x"}, {"If-Match": "garbage"}, "If-Match"),
        ({"title": "x"}, {"If-Match": '"0"'}, "If-Match"),
        # If-Match is checked whenever it is sent, not only when the body has no version.
        ({"title": "x", "version": 1}, {"If-Match": "D"}, "If-Match"),
        ({"title": "x", "version": 1}, {"If-Match": '"2"'}, "If-Match"),
        # The version column is a 32-bit integer: If-Match names at most 2147483647.
        ({"title": "x"}, {"If-Match": '"2147483648"'}, "If-Match"),
        ({"title": "x", "version": 0}, {}, "version"),
        ({"title": "x", "version": "1"}, {}, "version"),
        ({"title": "", "version": 1}, {}, "title"),
        ({"title": "t" * 101, "version": 1}, {}, "title"),
        ({"content": "", "version": 1}, {}, "content"),
        ({"tags": [f"t{i}" for i in range(11)], "version": 1}, {}, "tags"),
        (
            {"tags": [f"t{i}" for i in range(10)] + ["T0"] * 3, "version": 1, "content": ""},
            {},
            "content",
        ),
    ],
)
def test_patch_rejects_invalid_input(
    client: httpx.Client, make_account, db: Database, body: dict, headers: dict, field: str
) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    r = client.patch(f"/v1/posts/{post['id']}", json=body, headers={**me.headers, **headers})
    assert_error(r, 400, field)
    assert db.fetchval("SELECT version FROM social.posts WHERE id = $1", post["id"]) == 1


# --- delete -----------------------------------------------------------------------------------


def test_owner_deletes_post_and_its_comments(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    other: Account = make_account()
    post = create_post(client, me)
    for author in (me, other):
        assert (
            client.post(
                f"/v1/posts/{post['id']}/comments", json={"content": "c"}, headers=author.headers
            ).status_code
            == 201
        )
    r = client.delete(f"/v1/posts/{post['id']}", headers=me.headers)
    assert r.status_code == 204 and r.content == b""
    assert_error(client.get(f"/v1/posts/{post['id']}", headers=me.headers), 404)
    assert_error(client.get(f"/v1/posts/{post['id']}/comments", headers=me.headers), 404)
    assert db.fetchval("SELECT count(*) FROM social.comments WHERE post_id = $1", post["id"]) == 0
    assert_error(client.delete(f"/v1/posts/{post['id']}", headers=me.headers), 404)


def test_admin_deletes_any_post(client: httpx.Client, make_account) -> None:
    owner: Account = make_account()
    admin: Account = make_account(role="admin")
    post = create_post(client, owner)
    assert client.delete(f"/v1/posts/{post['id']}", headers=admin.headers).status_code == 204
    assert_error(client.get(f"/v1/posts/{post['id']}", headers=owner.headers), 404)


@pytest.mark.parametrize("post_id", BAD_IDS)
def test_delete_unknown_post_is_404(client: httpx.Client, make_account, post_id: str) -> None:
    me: Account = make_account(role="admin")
    assert_error(client.delete(f"/v1/posts/{post_id}", headers=me.headers), 404)


# --- comments ---------------------------------------------------------------------------------


def test_comments_oldest_first_with_paging(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    other: Account = make_account()
    post = create_post(client, me)
    made = []
    for i, author in enumerate([me, other, me, other, me]):
        r = client.post(
            f"/v1/posts/{post['id']}/comments",
            json={"content": f"comment {i}"},
            headers=author.headers,
        )
        assert r.status_code == 201, r.text
        comment = r.json()["data"]
        assert set(comment) == COMMENT_KEYS
        assert comment["post_id"] == post["id"] and comment["user_id"] == author.id
        assert comment["user"] == {"id": author.id, "username": author.username}
        assert comment["content"] == f"comment {i}"
        made.append(comment)

    def page(**params) -> list[dict]:
        r = client.get(f"/v1/posts/{post['id']}/comments", params=params, headers=other.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]

    assert page() == made
    assert [c["id"] for c in page(limit=2)] == [c["id"] for c in made[:2]]
    assert [c["id"] for c in page(limit=2, offset=2)] == [c["id"] for c in made[2:4]]
    assert [c["id"] for c in page(offset=4)] == [made[4]["id"]]
    assert page(offset=5) == []
    assert len(page(limit=100)) == 5


def test_comments_of_a_post_without_any(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    r = client.get(f"/v1/posts/{post['id']}/comments", headers=me.headers)
    assert r.status_code == 200 and r.json() == {"data": []}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
def test_comments_reject_invalid_query(
    client: httpx.Client, make_account, params: dict, field: str
) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    r = client.get(f"/v1/posts/{post['id']}/comments", params=params, headers=me.headers)
    assert_error(r, 400, field)


@pytest.mark.parametrize("post_id", BAD_IDS)
def test_comments_of_unknown_post_are_404(client: httpx.Client, make_account, post_id: str) -> None:
    me: Account = make_account()
    assert_error(client.get(f"/v1/posts/{post_id}/comments", headers=me.headers), 404)
    r = client.post(f"/v1/posts/{post_id}/comments", json={"content": "x"}, headers=me.headers)
    assert_error(r, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "content"),
        ({"content": ""}, "content"),
        ({"content": "c" * 1001}, "content"),
        ({"content": 5}, "content"),
    ],
)
def test_create_comment_rejects_invalid_input(
    client: httpx.Client, make_account, body: dict, field: str
) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    r = client.post(f"/v1/posts/{post['id']}/comments", json=body, headers=me.headers)
    assert_error(r, 400, field)


def test_tags_are_deduplicated_case_insensitively(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    post = create_post(client, me, tags=["Go", "SQL", "go", "GO", "sql", "web"])
    assert post["tags"] == ["Go", "SQL", "web"]
    # Eleven given, ten distinct once case is ignored: accepted.
    post = create_post(client, me, tags=[f"t{i}" for i in range(10)] + ["T3"])
    assert len(post["tags"]) == 10


def test_patch_with_if_match_of_the_highest_version_is_stale(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"title": "x"},
        headers={**me.headers, "If-Match": '"2147483647"'},
    )
    assert_error(r, 409)


def test_patch_with_if_match_agreeing_with_version(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"title": "agreed", "version": 1},
        headers={**me.headers, "If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["version"] == 2


def test_every_post_response_carries_its_version_as_etag(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    created = client.post("/v1/posts", json={"title": "t", "content": "c"}, headers=me.headers)
    assert created.status_code == 201 and created.headers["ETag"] == '"1"'
    post_id = created.json()["data"]["id"]
    read = client.get(f"/v1/posts/{post_id}", headers=me.headers)
    assert read.headers["ETag"] == '"1"'
    # The ETag is what If-Match takes back.
    edited = client.patch(
        f"/v1/posts/{post_id}",
        json={"title": "t2"},
        headers={**me.headers, "If-Match": read.headers["ETag"]},
    )
    assert edited.status_code == 200 and edited.headers["ETag"] == '"2"'
    assert edited.json()["data"]["version"] == 2


@pytest.mark.parametrize(
    "if_match", ['"abc"', "abc", '"1.0"', '"-1"', '"1', '1"', "1", '"1" "2"', '"1";', "**"]
)
def test_a_malformed_if_match_says_what_it_must_be(
    client: httpx.Client, make_account, db: Database, if_match: str
) -> None:
    """Not pydantic's "Field required" nor its regex: the rule in words, naming the header."""
    me: Account = make_account()
    post = create_post(client, me)
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"title": "changed"},
        headers={**me.headers, "If-Match": if_match},
    )
    body = assert_error(r, 400)
    assert body["details"] == [
        {
            "field": "If-Match",
            "message": '`*`, or the ETag of the version you read (`"3"`); several separated by '
            "commas",
        }
    ]
    assert db.fetchval("SELECT title FROM social.posts WHERE id = $1", post["id"]) == "a title"


def test_tags_differing_only_in_case_are_one_tag_the_first_spelling_kept(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    post = create_post(client, me, tags=["Intro", "intro", "SQL", "INTRO", "sql"])
    assert post["tags"] == ["Intro", "SQL"]
    r = client.patch(
        f"/v1/posts/{post['id']}",
        json={"tags": ["go", "Go", "intro"], "version": 1},
        headers=me.headers,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["tags"] == ["go", "intro"]
    assert client.get(f"/v1/posts/{post['id']}", headers=me.headers).json()["data"]["tags"] == [
        "go",
        "intro",
    ]


def test_patch_naming_no_field_is_400_and_keeps_the_version(
    client: httpx.Client, make_account, db: Database
) -> None:
    me: Account = make_account()
    post = create_post(client, me, "stays")
    body = assert_error(
        client.patch(f"/v1/posts/{post['id']}", json={"version": 1}, headers=me.headers), 400
    )
    assert "nothing to change" in body["error"]
    assert db.fetchval("SELECT version FROM social.posts WHERE id = $1", post["id"]) == 1


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_declared_json_is_415_and_creates_nothing(
    client: httpx.Client, make_account, db: Database, content_type: str | None
) -> None:
    me: Account = make_account()
    headers = dict(me.headers)
    if content_type:
        headers["Content-Type"] = content_type
    body = b'{"title": "typed", "content": "as text"}'
    r = client.post("/v1/posts", content=body, headers=headers)
    assert_error(r, 415)
    assert db.fetchval("SELECT count(*) FROM social.posts WHERE user_id = $1", me.id) == 0
    # application/json with parameters, and a +json type, are JSON.
    for declared in ("application/json; charset=utf-8", "application/merge-patch+json"):
        r = client.post("/v1/posts", content=body, headers={**me.headers, "Content-Type": declared})
        assert r.status_code == 201, (declared, r.text)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "   ", "content": "c"}, "title"),
        ({"title": "t", "content": "\n\t "}, "content"),
    ],
)
def test_a_post_of_only_whitespace_is_400_and_creates_nothing(
    client: httpx.Client, make_account, db: Database, body: dict, field: str
) -> None:
    me: Account = make_account()
    assert_error(client.post("/v1/posts", json=body, headers=me.headers), 400, field)
    assert db.fetchval("SELECT count(*) FROM social.posts WHERE user_id = $1", me.id) == 0
    post = create_post(client, me, "kept")
    r = client.patch(f"/v1/posts/{post['id']}", json={**body, "version": 1}, headers=me.headers)
    assert_error(r, 400, field)
    assert db.fetchval("SELECT title FROM social.posts WHERE id = $1", post["id"]) == "kept"


def test_a_weak_if_match_never_matches(client: httpx.Client, make_account) -> None:
    """If-Match compares entity-tags strongly (RFC 9110 §13.1.1): `W/"1"` is well-formed but no
    version's tag, so the edit is refused as stale (no 412 in docs/api.md) and changes nothing."""
    me: Account = make_account()
    post = create_post(client, me)
    url = f"/v1/posts/{post['id']}"
    # An empty list (RFC 9110 §5.6.1) names no version either.
    for if_match in ('W/"1"', "", ",", 'W/"1", W/"2"'):
        r = client.patch(url, json={"title": "weak"}, headers={**me.headers, "If-Match": if_match})
        assert_error(r, 409)
    # With the body's version, a list that names it only weakly disagrees with it.
    r = client.patch(
        url, json={"title": "weak", "version": 1}, headers={**me.headers, "If-Match": 'W/"1"'}
    )
    assert_error(r, 400, field="If-Match")
    assert client.get(url, headers=me.headers).json()["data"]["version"] == 1


def test_if_match_star_leaves_the_version_to_the_body(client: httpx.Client, make_account) -> None:
    """`*` matches any current version of an existing post: it names none, so the body's
    `version` is still required and still checked."""
    me: Account = make_account()
    post = create_post(client, me)
    url, star = f"/v1/posts/{post['id']}", {**me.headers, "If-Match": "*"}
    assert_error(client.patch(url, json={"title": "x"}, headers=star), 400, field="version")
    assert_error(client.patch(url, json={"title": "x", "version": 2}, headers=star), 409)
    r = client.patch(url, json={"title": "x", "version": 1}, headers=star)
    assert r.status_code == 200 and r.json()["data"]["version"] == 2
    assert_error(
        client.patch("/v1/posts/999999999", json={"title": "x", "version": 1}, headers=star), 404
    )

"""Cursor pages of the feed and of comments: `Link: rel="next"`, stable pages, refused cursors."""

from __future__ import annotations

import base64
import re
import string
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.helpers import Account, assert_error, create_post

LINK = re.compile(r'^<(/v1/[^>]+)>; rel="next"$')


def next_url(response: httpx.Response) -> str | None:
    link = response.headers.get("link")
    if link is None:
        return None
    match = LINK.fullmatch(link)
    assert match, link
    return match[1]


def _respelled(part: str) -> str:
    """`part` with its last base64 character's spare bits changed: other text, same bytes
    (or `part` altered outright when it has no spare bits)."""
    decoded = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    for char in string.ascii_letters + string.digits + "-_":
        other = part[:-1] + char
        if other != part and base64.urlsafe_b64decode(other + "=" * (-len(other) % 4)) == decoded:
            return other
    return part[:-1] + ("A" if part[-1] != "A" else "B")


def walk(client: httpx.Client, account: Account, url: str) -> tuple[list[int], int]:
    """Every item id by following `Link` from `url`, and the number of pages."""
    ids, pages = [], 0
    while url:
        r = client.get(url, headers=account.headers)
        assert r.status_code == 200, r.text
        ids += [item["id"] for item in r.json()["data"]]
        pages += 1
        url = next_url(r)
        assert pages < 50
    return ids, pages


@pytest.fixture
def reader(client: httpx.Client, make_account) -> tuple[Account, list[int]]:
    """A reader following one author; seven posts between them, newest last."""
    me: Account = make_account()
    author: Account = make_account()
    assert client.put(f"/v1/users/{author.id}/follow", headers=me.headers).status_code == 204
    ids = [
        create_post(client, me if n % 2 else author, f"p{n}", tags=["t"])["id"] for n in range(7)
    ]
    return me, ids


def test_feed_pages_by_cursor_in_both_orders(client: httpx.Client, reader) -> None:
    me, ids = reader
    newest_first, pages = walk(client, me, "/v1/users/feed?limit=3")
    assert newest_first == ids[::-1] and pages == 3  # 3 + 3 + 1: the short page has no link
    oldest_first, _ = walk(client, me, "/v1/users/feed?limit=2&sort=asc&tags=t")
    assert oldest_first == ids


def test_link_keeps_the_query_and_drops_the_offset(client: httpx.Client, reader) -> None:
    me, _ = reader
    r = client.get("/v1/users/feed?limit=2&sort=desc&tags=t&offset=1", headers=me.headers)
    query = parse_qs(urlsplit(next_url(r) or "").query)
    assert query["limit"] == ["2"] and query["sort"] == ["desc"] and query["tags"] == ["t"]
    assert "offset" not in query and len(query["cursor"][0]) <= 200


def test_pages_do_not_shift_when_posts_come_and_go(client: httpx.Client, reader) -> None:
    me, ids = reader
    first = client.get("/v1/users/feed?limit=3", headers=me.headers)
    create_post(client, me, "newer than the walk")
    assert client.delete(f"/v1/posts/{ids[5]}", headers=me.headers).status_code == 204  # seen
    rest, _ = walk(client, me, next_url(first) or "")
    assert rest == ids[3::-1]  # exactly what followed the first page, no repeat, no gap


def test_comments_page_by_cursor(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    post = create_post(client, me)
    ids = [
        client.post(
            f"/v1/posts/{post['id']}/comments", json={"content": f"c{n}"}, headers=me.headers
        ).json()["data"]["id"]
        for n in range(5)
    ]
    walked, pages = walk(client, me, f"/v1/posts/{post['id']}/comments?limit=2")
    assert walked == ids and pages == 3


def test_a_full_last_page_links_to_an_empty_one(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    for n in range(2):
        create_post(client, me, f"only {n}")
    r = client.get("/v1/users/feed?limit=2", headers=me.headers)
    last = client.get(next_url(r) or "", headers=me.headers)
    assert last.json()["data"] == [] and "link" not in last.headers


def test_refused_cursors(client: httpx.Client, reader, make_account) -> None:
    me, _ = reader
    url = next_url(client.get("/v1/users/feed?limit=2", headers=me.headers)) or ""
    cursor = parse_qs(urlsplit(url).query)["cursor"][0]
    payload, mac = cursor.split(".")
    altered = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + mac
    respelled = _respelled(payload) + "." + mac
    other: Account = make_account()
    for params, who in (
        ({"cursor": altered}, me),  # altered
        ({"cursor": respelled}, me),  # the same bytes, not the spelling issued
        ({"cursor": "garbage"}, me),  # does not decode
        ({"cursor": cursor}, other),  # another reader's feed
        ({"cursor": cursor, "sort": "asc"}, me),  # issued for the other order
        ({"cursor": cursor, "offset": "2"}, me),  # with an offset
    ):
        r = client.get("/v1/users/feed", params=params, headers=who.headers)
        assert_error(r, 400)
    post = create_post(client, me)
    r = client.get(
        f"/v1/posts/{post['id']}/comments", params={"cursor": cursor}, headers=me.headers
    )
    assert_error(r, 400)  # a feed cursor is foreign to comments

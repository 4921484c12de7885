"""Reports and moderation through the real service: `POST /v1/reports`, the queue
(`GET /v1/reports`, cursor pages) and closing (`PUT /v1/reports/{report_id}`) with its actions,
deleting the content or suspending its author (its tokens refused at once, login 403)."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest
import redis

from api.cache import GONE, user_key
from tests.helpers import Account, Database, assert_error, check_response, create_post
from tests.services import Mailbox

REPORTS = "/v1/reports"


def _report(client: httpx.Client, who: Account, **body: object) -> dict:
    r = client.post(REPORTS, json={"reason": "spam", **body}, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()["data"]


def _close(client: httpx.Client, who: Account, report_id: int, **body: object) -> httpx.Response:
    return client.put(f"{REPORTS}/{report_id}", json=body, headers=who.headers)


def _queue(client: httpx.Client, who: Account, **query: object) -> list[dict]:
    """Every page of the queue, following `Link: rel="next"`."""
    found: list[dict] = []
    url: str | None = REPORTS
    params: dict | None = {"limit": 100, **query}
    while url:
        r = client.get(url, params=params, headers=who.headers)
        assert r.status_code == 200, r.text
        found += r.json()["data"]
        link = r.headers.get("link")
        url, params = (
            (re.fullmatch(r'<([^>]+)>; rel="next"', link)[1], None) if link else (None, None)
        )
    return found


def _comment(client: httpx.Client, post_id: int, who: Account) -> int:
    r = client.post(f"/v1/posts/{post_id}/comments", json={"content": "rude"}, headers=who.headers)
    assert r.status_code == 201, r.text
    return int(r.json()["data"]["id"])


# --- POST /v1/reports -------------------------------------------------------------------------


def test_report_each_kind_of_target(client: httpx.Client, make_account) -> None:
    reporter, author = make_account(), make_account()
    post_id = create_post(client, author)["id"]
    comment_id = _comment(client, post_id, author)
    for field, target_type, target_id in (
        ("post_id", "post", post_id),
        ("comment_id", "comment", comment_id),
        ("user_id", "user", author.id),
    ):
        report = _report(client, reporter, **{field: target_id}, reason="not nice")
        assert set(report) == {
            "id", "reporter", "target", "reason", "status", "action", "created_at", "closed_at",
            "closed_by",
        }  # fmt: skip
        assert report["reporter"] == {"id": reporter.id, "username": reporter.username}
        assert report["target"] == {"type": target_type, "id": target_id}
        assert (report["reason"], report["status"], report["action"]) == ("not nice", "open", None)
        assert report["closed_at"] is None and report["closed_by"] is None
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", report["created_at"])


def test_a_second_open_report_on_one_target_is_409(client: httpx.Client, make_account) -> None:
    reporter, other, author = make_account(), make_account(), make_account()
    moderator = make_account("moderator")
    first = _report(client, reporter, user_id=author.id)
    r = client.post(
        REPORTS, json={"user_id": author.id, "reason": "again"}, headers=reporter.headers
    )
    assert_error(r, 409)
    _report(client, other, user_id=author.id)  # another reporter may
    assert _close(client, moderator, first["id"], status="dismissed").status_code == 200
    _report(client, reporter, user_id=author.id)  # once closed, it may report again


def test_a_target_that_does_not_exist_is_404(client: httpx.Client, make_account) -> None:
    me: Account = make_account()
    for field in ("post_id", "comment_id", "user_id"):
        r = client.post(REPORTS, json={field: 2**63 - 1, "reason": "x"}, headers=me.headers)
        assert_error(r, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "x"}, "body"),  # no target
        ({"post_id": 1, "user_id": 1, "reason": "x"}, "body"),  # two
        ({"post_id": None, "user_id": 1, "reason": "x"}, "post_id"),
        ({"post_id": 0, "reason": "x"}, "post_id"),
        ({"post_id": 2**63, "reason": "x"}, "post_id"),
        ({"post_id": "1", "reason": "x"}, "post_id"),
        ({"post_id": 1}, "reason"),
        ({"post_id": 1, "reason": ""}, "reason"),
        ({"post_id": 1, "reason": "x" * 501}, "reason"),
        ({"post_id": 1, "reason": "x", "extra": 1}, "extra"),
    ],
)
def test_malformed_reports_are_400(
    client: httpx.Client, make_account, body: dict, field: str
) -> None:
    me: Account = make_account()
    assert_error(client.post(REPORTS, json=body, headers=me.headers), 400, field)


def test_reason_of_500_characters_is_taken(client: httpx.Client, make_account) -> None:
    me, author = make_account(), make_account()
    assert _report(client, me, user_id=author.id, reason="é" * 500)["reason"] == "é" * 500


def test_every_route_needs_a_token(client: httpx.Client) -> None:
    assert_error(client.post(REPORTS, json={"user_id": 1, "reason": "x"}), 401)
    assert_error(client.get(REPORTS), 401)
    assert_error(client.put(f"{REPORTS}/1", json={"status": "dismissed"}), 401)


# --- GET /v1/reports --------------------------------------------------------------------------


def test_the_queue_is_for_moderators_and_admins_oldest_first(
    client: httpx.Client, make_account
) -> None:
    reporter, author, user = make_account(), make_account(), make_account()
    moderator, admin = make_account("moderator"), make_account("admin")
    mine = [_report(client, reporter, user_id=author.id, reason=f"r{n}")["id"] for n in range(1)]
    mine += [
        _report(client, reporter, post_id=create_post(client, author)["id"])["id"] for _ in range(4)
    ]
    assert_error(client.get(REPORTS, headers=user.headers), 403)
    assert_error(client.get(REPORTS, headers=reporter.headers), 403)
    for reader in (moderator, admin):
        ids = [r["id"] for r in _queue(client, reader)]
        assert [i for i in ids if i in mine] == mine
        assert ids == sorted(ids)  # oldest first (ids grow with time)


def test_pages_by_cursor_with_link(client: httpx.Client, make_account) -> None:
    reporter, author, moderator = make_account(), make_account(), make_account("moderator")
    for _ in range(5):
        _report(client, reporter, post_id=create_post(client, author)["id"])
    everything = [r["id"] for r in _queue(client, moderator)]
    r = client.get(REPORTS, params={"limit": 2}, headers=moderator.headers)
    assert r.status_code == 200 and len(r.json()["data"]) == 2
    link = re.fullmatch(r'<(/v1/reports\?[^>]+)>; rel="next"', r.headers["link"])
    assert link and "limit=2" in link[1] and "cursor=" in link[1]
    paged: list[int] = []
    url: str | None = f"{REPORTS}?limit=2"
    while url:
        r = client.get(url, headers=moderator.headers)
        page = r.json()["data"]
        assert len(page) <= 2
        paged += [item["id"] for item in page]
        url = (
            re.fullmatch(r'<([^>]+)>; rel="next"', r.headers["link"])[1]
            if "link" in r.headers
            else None
        )
    assert paged[: len(everything)] == everything


def test_closed_reports_by_closing_time(client: httpx.Client, make_account) -> None:
    reporter, author, moderator = make_account(), make_account(), make_account("moderator")
    first, second = (
        _report(client, reporter, post_id=create_post(client, author)["id"]) for _ in range(2)
    )
    # Closed in the other order: listed by closing time, not creation.
    for report in (second, first):
        assert _close(client, moderator, report["id"], status="dismissed").status_code == 200
    dismissed = [r["id"] for r in _queue(client, moderator, status="dismissed")]
    assert [i for i in dismissed if i in (first["id"], second["id"])] == [second["id"], first["id"]]
    assert first["id"] not in [r["id"] for r in _queue(client, moderator)]  # no longer open
    # A cursor of one status's list is not another's.
    r = client.get(REPORTS, params={"status": "dismissed", "limit": 1}, headers=moderator.headers)
    cursor = re.search(r"cursor=([^&>]+)", r.headers["link"])[1]
    r = client.get(REPORTS, params={"status": "open", "cursor": cursor}, headers=moderator.headers)
    assert_error(r, 400, "cursor")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"offset": "0"}, "offset"),
        ({"status": "closed"}, "status"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"cursor": "nonsense.x"}, "cursor"),
    ],
)
def test_malformed_queries_are_400(
    client: httpx.Client, make_account, query: dict, field: str
) -> None:
    moderator: Account = make_account("moderator")
    assert_error(client.get(REPORTS, params=query, headers=moderator.headers), 400, field)


def test_a_reported_moderator_never_sees_who_reported_it(
    client: httpx.Client, make_account
) -> None:
    reporter, moderator, other = (
        make_account(),
        make_account("moderator"),
        make_account("moderator"),
    )
    post_id = create_post(client, moderator)["id"]
    about = [
        _report(client, reporter, user_id=moderator.id)["id"],
        _report(client, reporter, post_id=post_id)["id"],
        _report(client, reporter, comment_id=_comment(client, post_id, moderator))["id"],
    ]
    assert not {r["id"] for r in _queue(client, moderator)} & set(about)
    assert set(about) <= {r["id"] for r in _queue(client, other)}
    for report_id in about:
        assert_error(_close(client, moderator, report_id, status="dismissed"), 403)


# --- PUT /v1/reports/{report_id} --------------------------------------------------------------


def test_closing_refusals(client: httpx.Client, make_account) -> None:
    reporter, author, user = make_account(), make_account(), make_account()
    moderator, admin = make_account("moderator"), make_account("admin")
    on_user = _report(client, reporter, user_id=author.id)["id"]
    on_post = _report(client, reporter, post_id=create_post(client, author)["id"])["id"]

    assert_error(_close(client, user, on_post, status="dismissed"), 403)
    assert_error(_close(client, user, 2**63 - 1, status="dismissed"), 403)  # nothing told
    assert_error(_close(client, moderator, 2**63 - 1, status="dismissed"), 404)
    assert_error(
        client.put(f"{REPORTS}/0", json={"status": "dismissed"}, headers=admin.headers), 404
    )
    assert_error(_close(client, moderator, on_post, status="open"), 400, "status")
    assert_error(_close(client, moderator, on_post, status="resolved", action="ban"), 400, "action")
    assert_error(_close(client, moderator, on_post, status="resolved", action=None), 400, "action")
    assert_error(_close(client, moderator, on_post, status="resolved", extra=1), 400, "extra")
    assert_error(_close(client, moderator, on_post), 400, "status")
    assert_error(
        _close(client, moderator, on_post, status="dismissed", action="delete_content"), 400
    )
    assert_error(_close(client, admin, on_user, status="resolved", action="delete_content"), 400)
    assert_error(_close(client, moderator, on_user, status="resolved", action="suspend_user"), 403)
    assert all(
        r["status"] == "open" for r in _queue(client, admin) if r["id"] in (on_user, on_post)
    )

    r = _close(client, moderator, on_post, status="resolved")
    assert r.status_code == 200
    report = r.json()["data"]
    assert (report["status"], report["action"]) == ("resolved", None)
    assert report["closed_by"] == {"id": moderator.id, "username": moderator.username}
    assert report["closed_at"] >= report["created_at"]
    assert_error(_close(client, admin, on_post, status="dismissed"), 409)


def test_delete_content_by_a_moderator(client: httpx.Client, make_account) -> None:
    reporter, author, moderator = make_account(), make_account(), make_account("moderator")
    post_id = create_post(client, author)["id"]
    kept_post = create_post(client, author)["id"]
    comment_id = _comment(client, kept_post, author)
    _comment(client, kept_post, reporter)
    on_post = _report(client, reporter, post_id=post_id)["id"]
    on_comment = _report(client, reporter, comment_id=comment_id)["id"]

    r = _close(client, moderator, on_post, status="resolved", action="delete_content")
    assert r.status_code == 200 and r.json()["data"]["action"] == "delete_content"
    assert_error(client.get(f"/v1/posts/{post_id}", headers=author.headers), 404)

    r = _close(client, moderator, on_comment, status="resolved", action="delete_content")
    assert r.status_code == 200
    post = client.get(f"/v1/posts/{kept_post}", headers=author.headers).json()["data"]
    assert post["comments_count"] == 1
    comments = client.get(f"/v1/posts/{kept_post}/comments", headers=author.headers).json()["data"]
    assert comment_id not in [c["id"] for c in comments]
    # The author stays active.
    assert client.get("/v1/users/me", headers=author.headers).status_code == 200


def test_suspend_user_ends_every_session_and_keeps_the_content(
    client: httpx.Client, make_account, db: Database, redis_client: redis.Redis
) -> None:
    reporter, author, admin = make_account(), make_account(), make_account("admin")
    post_id = create_post(client, author)["id"]
    comment_id = _comment(client, post_id, author)
    assert client.get("/v1/users/me", headers=author.headers).status_code == 200  # cached
    epoch = int(redis_client.get(user_key(author.id)).partition(b":")[0])
    on_comment = _report(client, reporter, comment_id=comment_id)["id"]

    r = _close(client, admin, on_comment, status="resolved", action="suspend_user")
    assert r.status_code == 200 and r.json()["data"]["action"] == "suspend_user"
    # The cached entry is replaced by a tombstone: every instance reads the database again.
    assert redis_client.get(user_key(author.id)).startswith(GONE)
    # At once: its access token, its refresh token, its login.
    assert_error(client.get("/v1/users/me", headers=author.headers), 401)
    cached_epoch, _, rest = redis_client.get(user_key(author.id)).partition(b":")
    cached = rest.partition(b":")[2]
    assert int(cached_epoch) == epoch + 1 and orjson.loads(cached)["is_active"] is False
    assert_error(client.post("/v1/auth/refresh", json={"refresh_token": author.refresh_token}), 401)
    r = client.post("/v1/auth/login", json={"email": author.email, "password": author.password})
    assert assert_error(r, 403)["error"] == "the account is suspended"
    # Its posts and comments stay; its profile says it is not active.
    assert (
        client.get(f"/v1/posts/{post_id}", headers=reporter.headers).json()["data"][
            "comments_count"
        ]
        == 1
    )
    profile = client.get(f"/v1/users/{author.id}", headers=reporter.headers).json()["data"]
    assert profile["is_active"] is False
    assert db.fetchval("SELECT suspended_at IS NOT NULL FROM social.users WHERE id = $1", author.id)


def test_a_suspended_account_cannot_activate_itself_again(
    client: httpx.Client, make_account, mailbox: Mailbox
) -> None:
    """Suspended before it was ever activated: neither its mailed link nor another one brings
    it back."""
    reporter, admin = make_account(), make_account("admin")
    email = f"suspended.{uuid.uuid4().hex[:8]}@example.com"
    r = client.post(
        "/v1/auth/register",
        json={"username": f"s{uuid.uuid4().hex[:12]}", "email": email, "password": "correct horse"},
    )
    user_id = r.json()["data"]["id"]
    [link] = mailbox.link_tokens(email, "confirm")
    report_id = _report(client, reporter, user_id=user_id)["id"]
    assert (
        _close(client, admin, report_id, status="resolved", action="suspend_user").status_code
        == 200
    )

    assert_error(client.put(f"/v1/users/activate/{link}"), 404)
    assert client.post("/v1/auth/activation/resend", json={"email": email}).status_code == 202
    time.sleep(0.5)
    assert len(mailbox.link_tokens(email, "confirm")) == 1  # no new link
    r = client.post("/v1/auth/login", json={"email": email, "password": "correct horse"})
    assert assert_error(r, 403)["error"] == "the account is suspended"
    # Nor does a password reset mail it a way in.
    assert client.post("/v1/auth/password/forgot", json={"email": email}).status_code == 202
    time.sleep(0.3)
    assert mailbox.link_tokens(email, "reset-password", count=0) == []


# --- races -------------------------------------------------------------------------------------


def _burst(base_url: str, n: int, call: Callable[[httpx.Client], httpx.Response]) -> Counter[int]:
    """The statuses of `call` made by `n` clients released at once."""
    barrier = threading.Barrier(n, timeout=30)

    def one(_: int) -> int:
        with httpx.Client(
            base_url=base_url, timeout=30, event_hooks={"response": [check_response]}
        ) as c:
            c.get("/livez")  # the connection is open before the barrier
            barrier.wait()
            return call(c).status_code

    with ThreadPoolExecutor(max_workers=n) as pool:
        return Counter(pool.map(one, range(n)))


def test_concurrent_closings_of_one_report_have_one_winner(
    client: httpx.Client, make_account, base_url: str
) -> None:
    reporter, author, admin = make_account(), make_account(), make_account("admin")
    report_id = _report(client, reporter, post_id=create_post(client, author)["id"])["id"]
    body = {"status": "resolved", "action": "delete_content"}
    won = _burst(base_url, 8, lambda c: _close(c, admin, report_id, **body))
    assert won == Counter({200: 1, 409: 7})


def test_concurrent_reports_of_one_target_make_one(
    client: httpx.Client, make_account, base_url: str, db: Database
) -> None:
    reporter, author = make_account(), make_account()
    made = _burst(
        base_url,
        8,
        lambda c: c.post(
            REPORTS, json={"user_id": author.id, "reason": "x"}, headers=reporter.headers
        ),
    )
    assert made == Counter({201: 1, 409: 7})
    assert (
        db.fetchval("SELECT count(*) FROM social.reports WHERE reporter_id = $1", reporter.id) == 1
    )

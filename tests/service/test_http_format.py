"""docs/api.md's conventions for every answer: compact JSON whichever layer renders it, and times
in UTC with exactly six fractional digits (Python 3.10's fromisoformat takes no other count).

Every route of the contract is called here, its successes and some of its errors; the
`client` fixture's hook (tests.helpers.check_response) checks every JSON answer of every HTTP
test the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
import redis

from api.cache import user_key
from api.responses import dumps, rfc3339
from tests.helpers import BASIC, Account, Database, assert_contract_json, assert_error
from tests.routes import declared
from tests.services import Mailbox

WHOLE_SECOND = "2026-11-24T10:00:00.000000+00:00"
TRAILING_ZERO = "2026-11-24T10:00:20.684180+00:00"  # PostgreSQL's own JSON writes .68418


class Calls:
    """The client's calls, by route template, each answer checked."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.routes: set[tuple[str, str]] = set()
        self.times: list[str] = []

    def __call__(self, method: str, route: str, status: int, **kwargs: object) -> httpx.Response:
        path = route.format(**kwargs.pop("at", {}))  # type: ignore[arg-type]
        r = self.client.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == status, (method, path, r.status_code, r.text)
        self.routes.add((method, route))
        kind = r.headers.get("content-type", "")
        if kind.startswith("application/json"):
            self.times += assert_contract_json(r)
        elif route == "/metrics":  # Prometheus' text format
            assert kind.startswith("text/plain; version=0.0.4"), kind
        else:  # no content, or the mailed links' HTML pages
            assert (status == 204 and not r.content) or kind.startswith("text/html"), (path, kind)
        return r


def test_every_route_answers_compact_json_with_six_digit_utc_times(
    client: httpx.Client,
    make_account,
    mailbox: Mailbox,
    db: Database,
    redis_client: redis.Redis,
) -> None:
    call = Calls(client)
    admin: Account = make_account(role="admin")
    me: Account = make_account()
    auth = admin.headers

    # Public routes.
    name = f"fmt{id(call)}"
    email = f"{name}@example.com"
    body = {"username": name, "email": email, "password": "correct horse"}
    new_id = call("POST", "/v1/auth/register", 201, json=body).json()["data"]["id"]
    call("POST", "/v1/auth/register", 409, json=body)
    call("POST", "/v1/auth/register", 400, json={**body, "email": "nope"})
    token = mailbox.activation_token(email)
    call("PUT", "/v1/users/activate/{token}", 204, at={"token": token})
    call("PUT", "/v1/users/activate/{token}", 404, at={"token": token})
    login = {"email": email, "password": "correct horse"}
    pair = call("POST", "/v1/auth/login", 200, json=login).json()["data"]
    call("POST", "/v1/auth/login", 401, json={**login, "password": "wrong horse"})
    refresh = {"refresh_token": pair["refresh_token"]}
    pair = call("POST", "/v1/auth/refresh", 200, json=refresh).json()["data"]
    call("POST", "/v1/auth/refresh", 401, json=refresh)
    bearer = {"Authorization": f"Bearer {pair['access_token']}"}
    change = {"current_password": "correct horse", "password": "battery staple"}
    pair = call("PUT", "/v1/users/me/password", 200, json=change, headers=bearer).json()["data"]
    bearer = {"Authorization": f"Bearer {pair['access_token']}"}
    call("PUT", "/v1/users/me/password", 403, json=change, headers=bearer)
    call("POST", "/v1/auth/password/forgot", 202, json={"email": email})
    call("POST", "/v1/auth/password/forgot", 400, json={"email": "nope"})
    [reset] = mailbox.link_tokens(email, "reset-password")
    call("GET", "/confirm/{token}", 200, at={"token": token})
    call("GET", "/reset-password/{token}", 200, at={"token": reset})
    again = {"token": reset, "password": "correct horse"}
    call("POST", "/v1/auth/password/reset", 204, json=again)
    call("POST", "/v1/auth/password/reset", 400, json=again)
    pair = call("POST", "/v1/auth/login", 200, json=login).json()["data"]
    bearer = {"Authorization": f"Bearer {pair['access_token']}"}
    call(
        "POST",
        "/v1/auth/logout",
        204,
        json={"refresh_token": pair["refresh_token"]},
        headers=bearer,
    )

    # A user created at a whole second, read before and after the cache has it.
    db.fetch(
        "UPDATE social.users SET created_at = $2 WHERE id = $1",
        new_id,
        datetime.fromisoformat(WHOLE_SECOND),
    )
    redis_client.delete(user_key(new_id))
    for _ in ("from the database", "from the cache"):
        user = call("GET", "/v1/users/{user_id}", 200, headers=auth, at={"user_id": new_id})
        assert user.json()["data"]["created_at"] == WHOLE_SECOND
    call("GET", "/v1/users/{user_id}", 404, headers=auth, at={"user_id": 2**62})
    call("GET", "/v1/users/me", 200, headers=me.headers)
    call(
        "PUT",
        "/v1/users/{user_id}/role",
        200,
        json={"role": "moderator"},
        headers=auth,
        at={"user_id": new_id},
    )
    call(
        "PUT",
        "/v1/users/{user_id}/role",
        400,
        json={"role": "king"},
        headers=auth,
        at={"user_id": new_id},
    )

    # Posts and comments, one at a whole second, one whose fraction ends in a zero.
    follow = {"headers": me.headers, "at": {"user_id": admin.id}}
    call("PUT", "/v1/users/{user_id}/follow", 204, **follow)
    call("PUT", "/v1/users/{user_id}/follow", 409, **follow)
    post = {"title": 'a "quoted"\ttitle é', "content": "line\nbreak \\ and \u0001", "tags": []}
    ids = [
        call("POST", "/v1/posts", 201, json=post, headers=auth).json()["data"]["id"]
        for _ in range(2)
    ]
    for post_id, at in zip(ids, (WHOLE_SECOND, TRAILING_ZERO), strict=True):
        db.fetch(
            "UPDATE social.posts SET created_at = $2, updated_at = $2 WHERE id = $1",
            post_id,
            datetime.fromisoformat(at),
        )
    read = call("GET", "/v1/posts/{post_id}", 200, headers=me.headers, at={"post_id": ids[0]})
    assert read.json()["data"]["created_at"] == WHOLE_SECOND
    assert read.json()["data"]["title"] == post["title"]  # escaped, and read back as written
    call("GET", "/v1/posts/{post_id}", 404, headers=me.headers, at={"post_id": 2**62})
    edit = {"headers": auth, "at": {"post_id": ids[1]}}
    call("PATCH", "/v1/posts/{post_id}", 200, json={"tags": ["x"], "version": 1}, **edit)
    call("PATCH", "/v1/posts/{post_id}", 409, json={"tags": ["y"], "version": 1}, **edit)
    comment = call(
        "POST",
        "/v1/posts/{post_id}/comments",
        201,
        json={"content": "c"},
        headers=me.headers,
        at={"post_id": ids[0]},
    ).json()["data"]
    db.fetch(
        "UPDATE social.comments SET created_at = $2 WHERE id = $1",
        comment["id"],
        datetime.fromisoformat(WHOLE_SECOND),
    )
    comments = call(
        "GET", "/v1/posts/{post_id}/comments", 200, headers=me.headers, at={"post_id": ids[0]}
    ).json()["data"]
    assert [c["created_at"] for c in comments] == [WHOLE_SECOND]

    # Reports (closed_at null while open), then the comment's deletion.
    target = {"comment_id": comment["id"], "reason": "r"}
    report = call("POST", "/v1/reports", 201, json=target, headers=me.headers).json()["data"]
    call("POST", "/v1/reports", 409, json=target, headers=me.headers)
    db.fetch(
        "UPDATE social.reports SET created_at = $2 WHERE id = $1",
        report["id"],
        datetime.fromisoformat(WHOLE_SECOND),
    )
    queue = call("GET", "/v1/reports", 200, headers=auth, params={"limit": 100}).json()["data"]
    assert [r["created_at"] for r in queue if r["id"] == report["id"]] == [WHOLE_SECOND]
    call("GET", "/v1/reports", 403, headers=me.headers)
    closing = {"headers": auth, "at": {"report_id": report["id"]}}
    call("PUT", "/v1/reports/{report_id}", 200, json={"status": "dismissed"}, **closing)
    call("PUT", "/v1/reports/{report_id}", 409, json={"status": "dismissed"}, **closing)
    at = {"post_id": ids[0], "comment_id": comment["id"]}
    call("DELETE", "/v1/posts/{post_id}/comments/{comment_id}", 204, headers=me.headers, at=at)
    call("DELETE", "/v1/posts/{post_id}/comments/{comment_id}", 404, headers=me.headers, at=at)
    call("POST", "/v1/auth/activation/resend", 202, json={"email": me.email})
    call("POST", "/v1/auth/activation/resend", 400, json={"email": "nope"})

    feed = call("GET", "/v1/users/feed", 200, headers=me.headers, params={"limit": 2})
    assert [p["created_at"] for p in feed.json()["data"]] == [TRAILING_ZERO, WHOLE_SECOND]
    assert "Link" in feed.headers  # a full page
    call("GET", "/v1/users/feed", 400, headers=me.headers, params={"since": "yesterday"})
    call("PUT", "/v1/users/{user_id}/unfollow", 204, **follow)

    # Revision 1.2: likes, relationships, blocks and mutes.
    liked = {"headers": me.headers, "at": {"post_id": ids[0]}}
    call("PUT", "/v1/posts/{post_id}/like", 204, **liked)
    call("GET", "/v1/posts/{post_id}/likes", 200, **liked)
    call("DELETE", "/v1/posts/{post_id}/like", 204, **liked)
    call("GET", "/v1/users/{user_id}/relationship", 200, **follow)
    call("GET", "/v1/notifications", 200, headers=auth)
    call("GET", "/v1/notifications/unread", 200, headers=auth)
    call("POST", "/v1/notifications/read", 204, json={}, headers=auth)
    call("GET", "/v1/users/{user_id}/followers", 200, **follow)
    call("GET", "/v1/users/{user_id}/following", 200, **follow)
    call("GET", "/v1/users", 200, headers=me.headers, params={"q": admin.username})
    call(
        "GET",
        "/v1/users/by-username/{username}",
        200,
        headers=me.headers,
        at={"username": admin.username},
    )
    for verb in ("block", "mute"):
        call("PUT", f"/v1/users/{{user_id}}/{verb}", 204, **follow)
        call("GET", f"/v1/users/me/{verb}s", 200, headers=me.headers)
        call("DELETE", f"/v1/users/{{user_id}}/{verb}", 204, **follow)
    call("DELETE", "/v1/posts/{post_id}", 204, headers=auth, at={"post_id": ids[1]})
    call("DELETE", "/v1/posts/{post_id}", 404, headers=auth, at={"post_id": ids[1]})

    gone: Account = make_account()
    call("DELETE", "/v1/users/me", 403, json={"password": "wrong horse"}, headers=gone.headers)
    call("DELETE", "/v1/users/me", 204, json={"password": gone.password}, headers=gone.headers)
    call("GET", "/v1/users/me", 401, headers=gone.headers)

    # Ops and probes, and errors Sanic raises itself.
    call("GET", "/livez", 200)
    call("GET", "/readyz", 200)
    call("GET", "/v1/health", 200, auth=BASIC)
    call("GET", "/v1/health", 401)
    call("GET", "/v1/debug/vars", 200, auth=BASIC)
    call("GET", "/metrics", 200, auth=BASIC)
    call("GET", "/metrics", 401)
    call("GET", "/v1/no/such/route", 404)
    call("DELETE", "/v1/users/feed", 405, headers=me.headers)

    missing = {(d.method, d.path) for d in declared()} - call.routes
    assert not missing, f"routes of the contract this test does not call yet: {sorted(missing)}"
    assert WHOLE_SECOND in call.times and TRAILING_ZERO in call.times


def test_since_with_an_unencoded_plus_says_to_send_it_as_2b(
    client: httpx.Client, make_account
) -> None:
    me: Account = make_account()
    # As curl sends it: a query string's `+` is decoded as a space.
    r = client.get("/v1/users/feed?since=2026-11-24T10:00:00+02:00", headers=me.headers)
    body = assert_error(r, 400, "since")
    assert body["details"] == [
        {"field": "since", "message": "the offset's `+` arrived as a space: send it as `%2B`"}
    ]
    r = client.get("/v1/users/feed?until=2026-11-24T10:00:00.5+02:00", headers=me.headers)
    assert "%2B" in assert_error(r, 400, "until")["details"][0]["message"]
    # Encoded, the same time is taken; a time that is wrong otherwise keeps the general message.
    ok = client.get("/v1/users/feed?since=2026-11-24T10:00:00%2B02:00", headers=me.headers)
    assert ok.status_code == 200, ok.text
    r = client.get("/v1/users/feed?since=2026-11-24 10:00:00+02:00", headers=me.headers)
    assert "%2B" not in assert_error(r, 400, "since")["details"][0]["message"]


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), WHOLE_SECOND),
        (
            datetime(2026, 11, 24, 12, 0, 20, 684180, tzinfo=timezone(timedelta(hours=2))),
            TRAILING_ZERO,
        ),
        (datetime(2026, 11, 24, 10, 0), WHOLE_SECOND),  # naive: taken as UTC
    ],
)
def test_python_writes_times_as_the_database_does(moment: datetime, written: str) -> None:
    """What Python renders itself (sanic's json(), error bodies) goes through api.responses:
    orjson alone writes `2026-11-24T10:00:00+00:00`, isoformat() too."""
    assert rfc3339(moment) == written
    assert dumps({"at": moment, 1: [moment]}) == f'{{"at":"{written}","1":["{written}"]}}'.encode()

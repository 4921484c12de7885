"""Visibility against a model: a Hypothesis state machine drives the real service over HTTP with a
few users and random follows, blocks, mutes, posts, comments, likes and their undoing; after each
step a plain Python model of the contract (API.md revision 1.2: "Blocks and mutes", "Likes",
"Profiles, follower lists, finding people"; docs/database.md "Visibility") says what a reader must
see on every path that shows a post, a comment, a like or a user, and the service must show
exactly that.

Why a model: a block or mute leak is one path that forgot the rule (the feed, a comment list, a
like list, a follower list, search, a profile), and hand-written cases only cover the paths and
orders someone thought of. Each act's status is checked too.

After each act the users it involved (the actor, and the other user or the post's author) are
checked on every path; `look` checks any other reader, placed and shrunk by Hypothesis like an
act (a rotating reader instead made failures shrink to long runs of filler steps). Every run
starts from a clean slate: teardown undoes through the API everything the users did.

Bounds: a fixed seed (derandomize), MAX_EXAMPLES runs of at most STEPS steps (at most 600 steps,
65 s alone on 2 cores); short runs, so that a failure shrinks within Hypothesis's five
minutes. Set VISIBILITY_EXAMPLES and VISIBILITY_STEPS to explore further.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from tests.helpers import Account

# Minutes on a loaded machine: make test starts these modules first (tests/conftest.py).
pytestmark = pytest.mark.slow

USERS = 5
MAX_EXAMPLES = int(os.environ.get("VISIBILITY_EXAMPLES", "30"))
STEPS = int(os.environ.get("VISIBILITY_STEPS", "20"))
NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


@dataclass
class Post:
    id: int
    author: int  # a user's index
    comments: list[tuple[int, int]] = field(default_factory=list)  # (id, author), oldest first
    likers: list[int] = field(default_factory=list)  # oldest like first; a repeat keeps its place
    deleted: bool = False


@dataclass
class Model:
    """The contract's state, users by index. Lists keep the order the contract shows them in."""

    # (follower, followed), oldest first
    follows: list[tuple[int, int]] = field(default_factory=list)
    blocks: set[tuple[int, int]] = field(default_factory=set)  # (blocker, blocked)
    mutes: set[tuple[int, int]] = field(default_factory=set)  # (muter, muted)
    posts: dict[int, Post] = field(default_factory=dict)  # by id, the deleted ones too
    # Notifications (contract "Notifications", not built yet): add here what each user must be
    # notified of (a follow, a like, a comment, a mention, by whom, on which post), written by
    # the acts below, removed by their undoing and by a block between the two, never from a user
    # it mutes; and check GET /v1/notifications for it in VisibilityModel._check_reader.

    def separated(self, a: int, b: int) -> bool:
        return (a, b) in self.blocks or (b, a) in self.blocks

    def following(self, a: int, b: int) -> bool:
        return (a, b) in self.follows

    def muting(self, a: int, b: int) -> bool:
        return (a, b) in self.mutes

    def live_posts(self) -> list[Post]:
        return [p for p in self.posts.values() if not p.deleted]

    def feed(self, reader: int) -> list[Post]:
        """Own posts and those of the users followed, less muted and separated authors; newest
        first (ids grow with creation time here: one writer at a time)."""
        return sorted(
            (
                p
                for p in self.live_posts()
                if p.author == reader
                or (
                    self.following(reader, p.author)
                    and not self.muting(reader, p.author)
                    and not self.separated(reader, p.author)
                )
            ),
            key=lambda p: p.id,
            reverse=True,
        )

    def block(self, a: int, b: int) -> None:
        self.blocks.add((a, b))
        # A block ends the follows both ways, and unblocking does not bring them back.
        self.follows = [f for f in self.follows if f not in ((a, b), (b, a))]


class VisibilityModel(RuleBasedStateMachine):
    """Users are indexes into `accounts`; the test binds the class attributes below."""

    http: ClassVar[httpx.Client]
    accounts: ClassVar[list[Account]]
    prefix: ClassVar[str]

    posts = Bundle("posts")
    users = st.integers(0, USERS - 1)

    def __init__(self) -> None:
        super().__init__()
        self.model = Model()
        self.involved: set[int] = set()  # the users the last act involved
        # (kind, a, b) of every relation the service was asked to make, for the teardown
        self.asked: set[tuple[str, int, int]] = set()

    # -- HTTP ----------------------------------------------------------------------------------

    def call(self, user: int, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, headers=self.accounts[user].headers, **kwargs)

    def act(self, user: int, method: str, path: str, expected: int) -> httpx.Response:
        self.involved.add(user)
        r = self.call(user, method, path)
        assert r.status_code == expected, (
            f"user {user}: {method} {path}: {r.status_code}, expected {expected}: {r.text}"
        )
        return r

    def uid(self, user: int) -> int:
        return self.accounts[user].id

    # -- acts between users --------------------------------------------------------------------

    @rule(a=users, b=users)
    def follow(self, a: int, b: int) -> None:
        self.involved.add(b)
        self.asked.add(("follow", a, b))
        m = self.model
        if a == b:
            expected = 400
        elif m.separated(a, b):
            expected = 404
        elif m.following(a, b):
            expected = 409
        else:
            expected = 204
            m.follows.append((a, b))
        self.act(a, "PUT", f"/v1/users/{self.uid(b)}/follow", expected)

    @rule(a=users, b=users)
    def unfollow(self, a: int, b: int) -> None:
        self.involved.add(b)
        m = self.model
        expected = 404 if m.separated(a, b) else 204
        if expected == 204 and m.following(a, b):
            m.follows.remove((a, b))
        self.act(a, "PUT", f"/v1/users/{self.uid(b)}/unfollow", expected)

    @rule(a=users, b=users)
    def block(self, a: int, b: int) -> None:
        self.involved.add(b)
        self.asked.add(("block", a, b))
        if a != b:
            self.model.block(a, b)
        self.act(a, "PUT", f"/v1/users/{self.uid(b)}/block", 400 if a == b else 204)

    @rule(a=users, b=users)
    def unblock(self, a: int, b: int) -> None:
        self.involved.add(b)
        self.model.blocks.discard((a, b))
        self.act(a, "DELETE", f"/v1/users/{self.uid(b)}/block", 204)

    @rule(a=users, b=users)
    def mute(self, a: int, b: int) -> None:
        self.involved.add(b)
        self.asked.add(("mute", a, b))
        if a != b:
            self.model.mutes.add((a, b))
        self.act(a, "PUT", f"/v1/users/{self.uid(b)}/mute", 400 if a == b else 204)

    @rule(a=users, b=users)
    def unmute(self, a: int, b: int) -> None:
        self.involved.add(b)
        self.model.mutes.discard((a, b))
        self.act(a, "DELETE", f"/v1/users/{self.uid(b)}/mute", 204)

    # -- posts, comments, likes ----------------------------------------------------------------

    @rule(target=posts, a=users)
    def create_post(self, a: int) -> int:
        self.involved.add(a)
        r = self.call(a, "POST", "/v1/posts", json={"title": "model", "content": "a post"})
        assert r.status_code == 201, r.text
        post = Post(r.json()["data"]["id"], a)
        self.model.posts[post.id] = post
        return post.id

    @rule(post_id=posts, a=users, own=st.booleans())
    def delete_post(self, post_id: int, a: int, own: bool) -> None:
        post = self.model.posts[post_id]
        self.involved.add(post.author)
        actor = post.author if own else a
        if post.deleted:
            expected = 404
        elif actor == post.author:
            expected = 204
            post.deleted = True
        elif self.model.separated(actor, post.author):
            expected = 404  # a post across a block does not exist for the actor, deletes too
        else:
            expected = 403  # only admins delete others' posts (these users are not)
        self.act(actor, "DELETE", f"/v1/posts/{post_id}", expected)

    def _reachable(self, a: int, post: Post) -> bool:
        return not post.deleted and not self.model.separated(a, post.author)

    @rule(post_id=posts, a=users)
    def comment(self, post_id: int, a: int) -> None:
        post = self.model.posts[post_id]
        self.involved |= {a, post.author}
        r = self.call(a, "POST", f"/v1/posts/{post_id}/comments", json={"content": "a comment"})
        if self._reachable(a, post):
            assert r.status_code == 201, (a, post, r.text)
            post.comments.append((r.json()["data"]["id"], a))
        else:
            assert r.status_code == 404, (a, post, r.status_code, r.text)

    @rule(post_id=posts, a=users)
    def like(self, post_id: int, a: int) -> None:
        post = self.model.posts[post_id]
        self.involved |= {a, post.author}
        ok = self._reachable(a, post)
        if ok and a not in post.likers:
            post.likers.append(a)
        self.act(a, "PUT", f"/v1/posts/{post_id}/like", 204 if ok else 404)

    @rule(post_id=posts, a=users)
    def unlike(self, post_id: int, a: int) -> None:
        post = self.model.posts[post_id]
        self.involved |= {a, post.author}
        ok = self._reachable(a, post)
        if ok and a in post.likers:
            post.likers.remove(a)
        self.act(a, "DELETE", f"/v1/posts/{post_id}/like", 204 if ok else 404)

    # -- what each reader sees -----------------------------------------------------------------

    @invariant()
    def the_parties_see_the_model(self) -> None:
        """After each act, the views of the users it involved (most leaks are between the two);
        every other reader through `look`, which Hypothesis places and shrinks like an act."""
        for reader in sorted(self.involved):
            self._check_reader(reader)
        self.involved = set()

    @rule(reader=users)
    def look(self, reader: int) -> None:
        self._check_reader(reader)

    def _check_reader(self, r: int) -> None:
        self._check_feed(r)
        for post in self.model.live_posts():
            self._check_post(r, post)
        for u in range(USERS):
            self._check_user(r, u)
        self._check_search(r)

    def _pages(self, r: int, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every item of a cursor-paged list, following its `Link: rel="next"`."""
        items: list[dict[str, Any]] = []
        r0 = self.call(r, "GET", path, params=params)
        while True:
            assert r0.status_code == 200, (r, path, r0.status_code, r0.text)
            items += r0.json()["data"]
            found = NEXT.search(r0.headers.get("link", ""))
            if not found:
                return items
            r0 = self.call(r, "GET", found[1])

    def _check_feed(self, r: int) -> None:
        m = self.model
        items = self._pages(r, "/v1/users/feed", {"limit": 20})
        expected = m.feed(r)
        assert [i["id"] for i in items] == [p.id for p in expected], (
            f"feed of user {r}",
            [(i["id"], self._index(i["user_id"])) for i in items],
            [(p.id, p.author) for p in expected],
        )
        for item, post in zip(items, expected, strict=True):
            self._check_counts(r, item, post)

    def _check_counts(self, r: int, shown: dict[str, Any], post: Post) -> None:
        assert shown["user_id"] == self.uid(post.author), (r, shown, post)
        assert shown["likes_count"] == len(post.likers), (r, shown, post)
        assert shown["liked"] is (r in post.likers), (r, shown, post)
        assert shown["comments_count"] == len(post.comments), (r, shown, post)

    def _check_post(self, r: int, post: Post) -> None:
        m = self.model
        base = f"/v1/posts/{post.id}"
        if m.separated(r, post.author):
            for path in (base, f"{base}/comments", f"{base}/likes"):
                got = self.call(r, "GET", path)
                assert got.status_code == 404, (r, path, post, got.status_code, got.text)
            return
        got = self.call(r, "GET", base)
        assert got.status_code == 200, (r, post, got.text)
        self._check_counts(r, got.json()["data"], post)
        got = self.call(r, "GET", f"{base}/comments", params={"limit": 100})
        assert got.status_code == 200, (r, post, got.text)
        shown = [(c["id"], self._index(c["user_id"])) for c in got.json()["data"]]
        expected = [
            (c, author)
            for c, author in post.comments
            if not m.separated(r, author) and not m.muting(r, author)
        ]
        assert shown == expected, (f"comments of post {post.id} read by user {r}", post)
        shown_likers = [self._index(u["id"]) for u in self._pages(r, f"{base}/likes", {})]
        expected_likers = [u for u in reversed(post.likers) if not m.separated(r, u)]
        assert shown_likers == expected_likers, (f"likes of post {post.id} read by user {r}", post)

    def _check_user(self, r: int, u: int) -> None:
        m = self.model
        uid, name = self.uid(u), self.accounts[u].username
        paths = (
            f"/v1/users/{uid}",
            f"/v1/users/by-username/{name.upper()}",  # case-insensitive
            f"/v1/users/{uid}/followers",
            f"/v1/users/{uid}/following",
        )
        if u != r:
            got = self.call(r, "GET", f"/v1/users/{uid}/relationship")
            assert got.status_code == 200, (r, u, got.text)
            assert got.json()["data"] == {
                "following": m.following(r, u),
                "followed_by": m.following(u, r),
                "blocking": (r, u) in m.blocks,
                "blocked_by": (u, r) in m.blocks,
                "muting": m.muting(r, u),
            }, (f"relationship of user {r} to user {u}", m)
        if m.separated(r, u):
            for path in paths:
                got = self.call(r, "GET", path)
                assert got.status_code == 404, (r, u, path, got.status_code, got.text)
            return
        for path in paths[:2]:
            got = self.call(r, "GET", path)
            assert got.status_code == 200, (r, u, path, got.text)
            assert (got.json()["data"]["id"], got.json()["data"]["username"]) == (uid, name)
        # Newest follow first; users a block separates from the reader left out.
        followers = [f for f, followed in reversed(m.follows) if followed == u]
        following = [followed for f, followed in reversed(m.follows) if f == u]
        for path, expected in ((paths[2], followers), (paths[3], following)):
            shown = [self._index(x["id"]) for x in self._pages(r, path, {"limit": 100})]
            assert shown == [x for x in expected if not m.separated(r, x)], (
                f"{path} ({'followers' if path == paths[2] else 'following'} of user {u}) "
                f"read by user {r}",
                shown,
                m.follows,
                m.blocks,
            )

    def _check_search(self, r: int) -> None:
        got = self.call(r, "GET", "/v1/users", params={"q": self.prefix.upper()})
        assert got.status_code == 200, (r, got.text)
        shown = [self._index(x["id"]) for x in got.json()["data"]]
        assert all("email" not in x for x in got.json()["data"]), got.text
        q = self.prefix.lower()

        def order(u: int) -> tuple[bool, int, str]:
            name = self.accounts[u].username.lower()
            return (name != q, len(name), name)

        expected = sorted((u for u in range(USERS) if not self.model.separated(r, u)), key=order)
        assert shown == expected, (f"search read by user {r}", shown, expected, self.model.blocks)

    def _index(self, user_id: int) -> int:
        """A user's index, or the id itself for a user outside this test (then a mismatch)."""
        return next((i for i, a in enumerate(self.accounts) if a.id == user_id), user_id)

    # -- back to a clean slate -----------------------------------------------------------------

    def teardown(self) -> None:
        """Undo through the API (the cache must see it too) every post made and every relation
        asked for, whatever the service answered, so that the next run starts from no relations
        and no posts even after a run that failed half-way. Blocks first: an unfollow across
        one is 404."""
        for post in self.model.posts.values():
            self.call(post.author, "DELETE", f"/v1/posts/{post.id}")
        for kind, method, undo in (
            ("block", "DELETE", "block"),
            ("follow", "PUT", "unfollow"),
            ("mute", "DELETE", "mute"),
        ):
            for _, a, b in (x for x in self.asked if x[0] == kind):
                self.call(a, method, f"/v1/users/{self.uid(b)}/{undo}")


@pytest.fixture
def machine(client: httpx.Client, make_account) -> Iterator[type[VisibilityModel]]:  # type: ignore[no-untyped-def]
    # A prefix of this run only, so that search meets none of the session's other users.
    prefix = f"vis{uuid.uuid4().hex[:8]}"
    accounts = [make_account(prefix=prefix) for _ in range(USERS)]
    yield type(
        "BoundVisibilityModel",
        (VisibilityModel,),
        {"http": client, "accounts": accounts, "prefix": prefix},
    )


def test_visibility_follows_the_model(machine: type[VisibilityModel]) -> None:
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=STEPS,
            derandomize=True,  # the same runs in CI and here
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            print_blob=False,
        ),
    )

"""The materialized feed equals the read-time reference, page for page.

Thousands of random posts (through api.create_post, and inserted directly with past, tied and
out-of-order times as the seed and DBAs do), deletes, moves in time, follows and unfollows,
with a small timeline (so trims and horizons happen), a small fan-out limit (so authors on
both sides of it exist) and a smaller inline limit (so posts wait in the fan-out queue, drained
at random moments). After every batch, every page a reader can ask for (both sorts; no
filter, since, until, both, tags, search; by offset and by cursor) must equal
social.feed_read_time's page.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest
import testing.postgresql

SIZE, FANOUT, TRIM_EVERY = 12, 9, 2  # timeline entries, followers before pulling, trim period
INLINE = 3  # followers above which a post is queued
USERS, OPERATIONS, CHECK_EVERY = 24, 3000, 250
BASE = datetime(2026, 1, 1, tzinfo=UTC)
TAGS = ["go", "sql", "web"]

FEED = (
    "SELECT api.user_feed(p_user_id => $1, p_limit => $2, p_offset => $3, p_sort => $4, "
    "p_tags => $5, p_search => $6, p_since => $7, p_until => $8, p_after_created_at => $9, "
    "p_after_id => $10)"
)
REFERENCE = "SELECT social.feed_read_time($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
TIMELINE = "SELECT social.feed_timeline($1, $2, $3, $4, $5, $6, $7, $8) IS NOT NULL"


@pytest.fixture(scope="module")
def cluster(pg_factory: testing.postgresql.PostgresqlFactory) -> Iterator[str]:
    pg = pg_factory()
    yield pg.url()
    pg.stop()


class World:
    def __init__(self, conn: asyncpg.Connection, rng: random.Random) -> None:
        self.conn, self.rng = conn, rng
        self.users: list[int] = []
        self.posts: dict[int, int] = {}  # post id -> author
        self.follows: set[tuple[int, int]] = set()  # (follower, followed)
        # A few popular users gather most follows, so some pass the fan-out limit.
        self.weights: list[float] = []
        self.answered = {True: 0, False: 0}  # unfiltered pages the timeline answered, or not
        self.checks_with_queue = 0  # readers checked while posts waited in the fan-out queue

    async def setup(self) -> None:
        for n in range(USERS):
            self.users.append(
                await self.conn.fetchval(
                    "INSERT INTO social.users (username, email, password_hash, is_active) "
                    "VALUES ($1, $1 || '@example.com', 'h', true) RETURNING id",
                    f"eq{n}",
                )
            )
        self.weights = [8.0 if n < 3 else 1.0 for n in range(USERS)]

    async def step(self) -> None:
        rng, conn = self.rng, self.conn
        if rng.random() < 0.1:
            await conn.execute("SELECT api.fan_out_queued($1)", rng.randint(1, 4))
        roll = rng.random()
        if roll < 0.45:
            author = rng.choice(self.users)
            tags = rng.sample(TAGS, rng.randint(0, 2))
            if rng.random() < 0.6:
                post = orjson.loads(
                    await conn.fetchval(
                        "SELECT api.create_post(p_user_id => $1, p_title => $2, p_content => $3, "
                        "p_tags => $4)",
                        author,
                        "t",
                        "c",
                        tags,
                    )
                )
                post_id = post["id"]
            else:  # the past, with ties: as a seed or a DBA writes
                at = BASE + timedelta(minutes=rng.randint(0, 400))
                post_id = await conn.fetchval(
                    "INSERT INTO social.posts (user_id, title, content, tags, created_at) "
                    "VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    author,
                    rng.choice(["needle here", "plain"]),
                    "c",
                    tags,
                    at,
                )
            self.posts[post_id] = author
        elif roll < 0.55 and self.posts:
            post_id = rng.choice(list(self.posts))
            await conn.execute(
                "SELECT api.delete_post(p_post_id => $1, p_actor_id => $2)",
                post_id,
                self.posts.pop(post_id),
            )
        elif roll < 0.58 and self.posts:  # a DBA moves a post in time
            await conn.execute(
                "UPDATE social.posts SET created_at = $2 WHERE id = $1",
                rng.choice(list(self.posts)),
                BASE + timedelta(minutes=rng.randint(0, 400)),
            )
        elif roll < 0.85:
            follower = rng.choice(self.users)
            followed = rng.choices(self.users, self.weights)[0]
            if follower != followed and (follower, followed) not in self.follows:
                await conn.execute(
                    "SELECT api.follow_user(p_follower_id => $1, p_user_id => $2)",
                    follower,
                    followed,
                )
                self.follows.add((follower, followed))
        elif self.follows:
            follower, followed = rng.choice(sorted(self.follows))
            await conn.execute(
                "SELECT api.unfollow_user(p_follower_id => $1, p_user_id => $2)", follower, followed
            )
            self.follows.discard((follower, followed))

    async def check(self, reader: int) -> int:
        """Every page of every query shape for one reader; the number of pages compared."""
        self.checks_with_queue += await self.conn.fetchval(
            "SELECT EXISTS (SELECT FROM social.fanout_queue)"
        )
        since = BASE + timedelta(minutes=self.rng.randint(0, 400))
        until = since + timedelta(minutes=self.rng.randint(0, 300))
        shapes = [
            (None, None, None, None),
            (None, None, since, None),
            (None, None, None, until),
            (None, None, since, until),
            (["go"], None, None, None),
            (None, "needle", None, None),
        ]
        compared = 0
        for sort in ("desc", "asc"):
            for tags, search, lo, hi in shapes:
                for offset in (0, 3, 9):
                    args = (reader, 4, offset, sort, tags, search, lo, hi, None, None)
                    await self.same(args)
                    compared += 1
                after: tuple[datetime | None, int | None] = (None, None)
                for _ in range(60):  # walk every page by cursor
                    args = (reader, 4, 0, sort, tags, search, lo, hi, *after)
                    page = await self.same(args)
                    compared += 1
                    if len(page) < 4:
                        break
                    last = page[-1]
                    after = (datetime.fromisoformat(last["created_at"]), last["id"])
        return compared

    async def same(self, args: tuple) -> list[dict]:
        got = await self.conn.fetchval(FEED, *args)
        want = await self.conn.fetchval(REFERENCE, *args)
        assert got == want, (args, got, want)
        if args[4] is None and args[5] is None:
            self.answered[await self.conn.fetchval(TIMELINE, *args[:4], *args[6:])] += 1
        return orjson.loads(got)


def test_the_timeline_feed_equals_the_read_time_feed(cluster: str) -> None:
    async def run() -> tuple[int, dict[str, int]]:
        conn = await asyncpg.connect(cluster)
        try:
            await conn.execute(
                "UPDATE social.feed_settings SET timeline_size = $1, fanout_limit = $2, "
                "trim_every = $3, fanout_inline_limit = $4",
                SIZE,
                FANOUT,
                TRIM_EVERY,
                INLINE,
            )
            world = World(conn, random.Random(20261128))
            await world.setup()
            compared = 0
            for n in range(1, OPERATIONS + 1):
                await world.step()
                if n % CHECK_EVERY == 0:
                    for reader in world.rng.sample(world.users, 3):
                        compared += await world.check(reader)
            stats = dict(
                await conn.fetchrow(
                    "SELECT (SELECT count(*) FROM social.pulled_authors) AS pulled, "
                    "(SELECT count(*) FROM social.timeline_horizons) AS horizons, "
                    "(SELECT max(c) FROM (SELECT count(*) AS c FROM social.timeline "
                    "GROUP BY owner_id) x) AS longest, "
                    "(SELECT count(*) FROM social.posts) AS posts"
                )
            )
            return compared, {
                **stats,
                "answered": world.answered[True],
                "fell_back": world.answered[False],
                "checks_with_queue": world.checks_with_queue,
            }
        finally:
            await conn.close()

    compared, stats = asyncio.run(run())
    print(compared, stats)
    # The run exercised what it is meant to: pulled authors, trimmed timelines, many pages.
    assert stats["pulled"] >= 1 and stats["horizons"] >= 1, stats
    assert stats["checks_with_queue"] >= 3, stats
    assert stats["longest"] <= SIZE + TRIM_EVERY * 4, stats
    assert compared > 1000, compared
    # Both paths were compared: hundreds of pages came from the timeline (first pages, since
    # above the horizon), the deep and ascending ones from the read-time query.
    assert stats["answered"] >= 300 and stats["fell_back"] > 0, stats

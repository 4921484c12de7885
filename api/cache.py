"""Redis client, a breaker for it, and cache-aside for user profiles (`session-{id}`).

Redis is an accelerator, never a dependency of correctness: when it fails, the cache becomes a
no-op for a few seconds (one warning) and requests go to PostgreSQL.

An entry is `<token epoch>:<ids>:<the API's user JSON>`: the epoch an access token must carry,
and the users a block separates from the user (comma-separated ids), come with the user in the
same read, and the JSON is served as is, without them. The key is neither v1.0's `user-{id}` nor
v1.1's `session-user-{id}` (entries without the ids): during a rolling upgrade the old and new
instances never read each other's entries. `forget` leaves a tombstone (`gone:<nonce>`) that a
load which raced the change cannot overwrite.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import cast

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from api import metrics

# A miss reads the key before it loads the user and stores the entry only if the key still
# holds what it read (compare and set). `forget` writes a tombstone of its own, so a load that
# read the database before a change committed cannot put the old user (and its old token epoch)
# back; a load that began after the forget stores as usual.
_SET_IF_UNCHANGED = """
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""
GONE = b"gone:"  # a tombstone's prefix; never a valid entry

log = logging.getLogger("gosocial.cache")


def create_redis(url: str) -> Redis | None:
    if not url:
        return None
    # redis-py's defaults wait seconds on a hung server, and a full pool raises instead of
    # waiting: fail fast on a dead Redis, queue briefly under load. One immediate retry on a
    # connection error replaces a connection that went stale while Redis was away.
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=64,
        timeout=0.25,  # waiting for a free connection
        socket_timeout=0.25,
        socket_connect_timeout=0.25,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        health_check_interval=30,
    )
    return Redis.from_pool(pool)


class Breaker:
    """Skips a failing dependency for a while after an error: one warning per outage.

    The pause starts at `cooldown` seconds and doubles while the dependency keeps failing, up
    to `max_cooldown`; the first success after an outage logs the recovery.
    """

    def __init__(self, name: str, cooldown: float = 1.0, max_cooldown: float = 4.0) -> None:
        self.name = name
        self.cooldown = cooldown
        self.max_cooldown = max_cooldown
        self.trips = 0
        self._until = 0.0
        self._pause = 0.0  # 0 while healthy

    @property
    def closed(self) -> bool:
        return time.monotonic() >= self._until

    def trip(self, exc: Exception) -> None:
        self.trips += 1
        if self._pause == 0.0:
            self._pause = self.cooldown
            log.warning(
                "%s: redis unavailable (%r); failing open, retrying in %.1f s",
                self.name,
                exc,
                self._pause,
            )
        else:
            self._pause = min(self._pause * 2, self.max_cooldown)
            log.debug("%s: redis still unavailable (%r)", self.name, exc)
        self._until = time.monotonic() + self._pause

    def ok(self) -> None:
        if self._pause:
            self._pause = 0.0
            log.info("%s: redis is back", self.name)


@dataclass(frozen=True, slots=True)
class CachedUser:
    raw: bytes  # the API's user JSON, as the database made it
    epoch: int  # the user's token epoch; never part of `raw`
    # The users a block separates from this one (social.separated_from): their profiles are 404.
    separated: frozenset[int] = frozenset()

    def encode(self) -> bytes:
        ids = ",".join(map(str, sorted(self.separated))).encode()
        return b"%d:%b:%b" % (self.epoch, ids, self.raw)

    @classmethod
    def decode(cls, value: bytes | None) -> CachedUser | None:
        """The entry, or None for a miss or a value of another shape (it is refilled)."""
        epoch, sep, rest = (value or b"").partition(b":")
        ids, sep2, raw = rest.partition(b":")
        if not (sep and sep2 and epoch.isdigit() and _IDS.fullmatch(ids)):
            return None
        return cls(raw, int(epoch), frozenset(map(int, ids.split(b","))) if ids else frozenset())


_IDS = re.compile(rb"(?:[0-9]+(?:,[0-9]+)*)?")


def user_key(user_id: int) -> str:
    return f"session-{user_id}"


Loader = Callable[[int], Awaitable[CachedUser]]


class UserCache:
    def __init__(self, redis: Redis | None, ttl: int, tombstone_ttl: int) -> None:
        """`tombstone_ttl` must exceed the longest load: a load that began before a `forget`
        must find its tombstone still there when it tries to store."""
        self._redis = redis
        self._ttl = ttl
        self._tombstone_ttl = tombstone_ttl
        # Forgets Redis did not take (it was unreachable, perhaps with the entries intact):
        # user id -> when. Written before anything is read once Redis answers again; one older
        # than CACHE_TTL is dropped, as the entry it was for has expired by then.
        self._unforgotten: dict[int, float] = {}
        self._breaker = Breaker("user cache")
        self.hits = 0
        self.misses = 0
        self.errors = 0

    @property
    def enabled(self) -> bool:
        return self._live() is not None

    def _live(self) -> Redis | None:
        """The client, unless there is none or the breaker has it skipped for now."""
        return self._redis if self._breaker.closed else None

    async def get(self, user_id: int, load: Loader) -> CachedUser:
        """The user from Redis, or from `load` (the database), filling Redis on a miss."""
        return (await self.peek(user_id))[0] or await self.fill(user_id, load)

    async def peek(self, *user_ids: int) -> list[CachedUser | None]:
        """What Redis holds for these users, in one round trip (None: a miss or no Redis)."""
        return (await self.peek_with((), *user_ids))[0]

    async def peek_with(
        self, keys: Sequence[str], *user_ids: int
    ) -> tuple[list[CachedUser | None], list[bytes | None] | None]:
        """`peek`, and in the same round trip the values of other `keys` (for a caller that
        owns them: api/replica_reads.py); None for those when Redis cannot tell."""
        redis = self._live()
        if redis is None or (self._unforgotten and not await self._forget_all()):
            return [None] * len(user_ids), None
        try:
            # bytes: the client is made without decode_responses
            found = cast(list[bytes | None], await redis.mget([*map(user_key, user_ids), *keys]))
        except (RedisError, OSError) as exc:
            self._fail(exc)
            return [None] * len(user_ids), None
        self._breaker.ok()
        users = [CachedUser.decode(value) for value in found[: len(user_ids)]]
        hits = sum(user is not None for user in users)
        self.hits += hits
        self.misses += len(users) - hits
        if hits:
            metrics.CACHE_HITS.inc(hits)
        if len(users) > hits:
            metrics.CACHE_MISSES.inc(len(users) - hits)
        return users, found[len(user_ids) :]

    async def send(self, commands: Callable[[Pipeline], object]) -> None:
        """Send what `commands` queues on a pipeline, under this cache's breaker: a Redis that
        fails here opens it, so `peek_with` answers None for a while (api/replica_reads.py)."""
        redis = self._live()
        if redis is None:
            return
        try:
            async with redis.pipeline(transaction=False) as pipe:
                commands(pipe)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._fail(exc)

    async def fill(self, user_id: int, load: Loader) -> CachedUser:
        """Load the user from the database and keep it in Redis for CACHE_TTL, unless the key
        changed meanwhile (a `forget`: what was loaded may predate the change)."""
        redis, key = self._live(), user_key(user_id)
        seen: bytes | None = None
        if redis is not None:
            try:
                seen = cast(bytes | None, await redis.get(key)) or b""
            except (RedisError, OSError) as exc:
                self._fail(exc)
        user = await load(user_id)
        if redis is not None and seen is not None:
            try:
                await redis.eval(_SET_IF_UNCHANGED, 1, key, user.encode(), self._ttl, seen)
            except (RedisError, OSError) as exc:
                self._fail(exc)
        return user

    async def forget(self, user_id: int) -> None:
        """Replace the entry by a tombstone: after a change of the user's role, activity or
        token epoch, or its deletion, every instance reads the database again, and a load that
        raced the change cannot store what it read. If Redis does not take it now, it is written
        before this process reads Redis again (the request itself has succeeded)."""
        if self._redis is None:
            return
        self._unforgotten[user_id] = time.monotonic()
        if self._breaker.closed:
            await self._forget_all()

    async def _forget_all(self) -> bool:
        """Write the tombstones of the forgets Redis has not taken yet; False if it fails."""
        assert self._redis is not None
        expired = time.monotonic() - self._ttl
        pending = {i: when for i, when in self._unforgotten.items() if when > expired}
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for user_id in pending:
                    # Its own nonce, so that two forgets differ (see _SET_IF_UNCHANGED).
                    tombstone = GONE + uuid.uuid4().hex.encode()
                    pipe.set(user_key(user_id), tombstone, ex=self._tombstone_ttl)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            self._fail(exc)
            return False
        # Kept: a forget that came while these were written.
        self._unforgotten = {
            i: when
            for i, when in self._unforgotten.items()
            if when > expired and pending.get(i) != when
        }
        return True

    def _fail(self, exc: Exception) -> None:
        self.errors += 1
        metrics.CACHE_ERRORS.inc()
        self._breaker.trip(exc)

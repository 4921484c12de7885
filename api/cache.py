"""Redis client, a breaker for it, and cache-aside for user profiles (`user-{id}`).

Redis is an accelerator, never a dependency of correctness: when it fails, the cache becomes a
no-op for a few seconds (one warning) and requests go to PostgreSQL.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("gosocial.cache")


def create_redis(url: str) -> Redis | None:
    if not url:
        return None
    # redis-py's defaults wait seconds and retry ten times on a hung server; fail fast instead.
    return Redis.from_url(
        url,
        socket_timeout=0.25,
        socket_connect_timeout=0.25,
        retry_on_timeout=False,
        max_connections=64,
        health_check_interval=30,
    )


class Breaker:
    """Skips a failing dependency for `cooldown` seconds after an error, warning once per trip."""

    def __init__(self, name: str, cooldown: float = 2.0) -> None:
        self.name = name
        self.cooldown = cooldown
        self._until = 0.0

    @property
    def closed(self) -> bool:
        return time.monotonic() >= self._until

    def trip(self, exc: Exception) -> None:
        log.warning(
            "%s: redis unavailable (%r); skipping it for %.0f s", self.name, exc, self.cooldown
        )
        self._until = time.monotonic() + self.cooldown


class UserCache:
    def __init__(self, redis: Redis | None, ttl: int) -> None:
        self._redis = redis
        self._ttl = ttl
        self._breaker = Breaker("user cache")
        self.hits = 0
        self.misses = 0
        self.errors = 0

    @property
    def enabled(self) -> bool:
        return self._redis is not None and self._breaker.closed

    async def get(self, user_id: int, load: Callable[[int], Awaitable[str]]) -> bytes:
        """The user's JSON from Redis, or from `load` (the database), filling Redis on a miss."""
        if self.enabled:
            try:
                raw = await self._redis.get(f"user-{user_id}")
            except (RedisError, OSError) as exc:
                self._fail(exc)
            else:
                if raw is not None:
                    self.hits += 1
                    return raw
                self.misses += 1
        raw = (await load(user_id)).encode()
        if self.enabled:
            try:
                await self._redis.set(f"user-{user_id}", raw, ex=self._ttl)
            except (RedisError, OSError) as exc:
                self._fail(exc)
        return raw

    async def forget(self, user_id: int) -> None:
        if self._redis is None:
            return
        try:
            await self._redis.delete(f"user-{user_id}")
        except (RedisError, OSError) as exc:
            # A stale entry lives at most CACHE_TTL seconds; the request itself has succeeded.
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self.errors += 1
        self._breaker.trip(exc)

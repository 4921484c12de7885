"""Fixed-window rate limiter per client IP, shared through Redis by every worker and instance.

Without REDIS_URL the counts live in this process. When Redis fails mid-run the limiter fails
open (requests pass, one warning, a short back-off) so the API stays up.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from api.cache import Breaker


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # whole seconds until the window resets

    def headers(self) -> dict[str, str]:
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset)
        return headers


class RateLimiter:
    def __init__(self, redis: Redis | None, limit: int, window: int) -> None:
        self._redis = redis
        self.limit = limit
        self.window = window
        self._breaker = Breaker("rate limiter")
        self._local: dict[str, int] = {}
        self._local_window = -1
        self.rejected = 0

    async def hit(self, client: str) -> Verdict:
        now = time.time()
        window = int(now // self.window)
        reset = max(1, math.ceil((window + 1) * self.window - now))
        count = await self._count(client, window)
        if count is None:  # Redis unavailable: fail open
            return Verdict(True, self.limit, self.limit, reset)
        allowed = count <= self.limit
        if not allowed:
            self.rejected += 1
        return Verdict(allowed, self.limit, max(0, self.limit - count), reset)

    async def _count(self, client: str, window: int) -> int | None:
        if self._redis is None:
            if window != self._local_window:  # a new window: forget the old one's counts
                self._local, self._local_window = {}, window
            self._local[client] = self._local.get(client, 0) + 1
            return self._local[client]
        if not self._breaker.closed:
            return None
        key = f"ratelimit:{client}:{window}"
        try:
            # INCR and EXPIRE in one MULTI round trip: atomic; the key never outlives its window.
            async with self._redis.pipeline(transaction=True) as pipe:
                count, _ = await pipe.incr(key).expire(key, self.window + 1).execute()
        except (RedisError, OSError) as exc:
            self._breaker.trip(exc)
            return None
        return int(count)

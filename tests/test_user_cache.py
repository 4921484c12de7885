"""The user cache against a real Redis: a load that read the database before a change committed
(a password reset, a role change, a deletion) must not put what it read back into Redis, or the
old token epoch would keep a revoked access token valid for CACHE_TTL."""

from __future__ import annotations

import asyncio

import pytest
import redis
from redis.asyncio import Redis

from api.cache import GONE, CachedUser, UserCache, user_key

# Ids no account of the session's server has, so its Redis holds nothing for them.
FIRST, SECOND = 9_000_000_001, 9_000_000_002
OLD = CachedUser(b'{"id":7,"role":"user"}', epoch=1)
NEW = CachedUser(b'{"id":7,"role":"admin"}', epoch=2)


@pytest.mark.asyncio
async def test_a_load_that_raced_a_change_stores_nothing(
    redis_url: str, redis_client: redis.Redis
) -> None:
    client = Redis.from_url(redis_url)
    cache = UserCache(client, ttl=3600, tombstone_ttl=60)
    read, committed = asyncio.Event(), asyncio.Event()

    async def slow_load(user_id: int) -> CachedUser:
        read.set()  # the database answered with the old row ...
        await committed.wait()  # ... and the change commits before the entry is stored
        return OLD

    async def fresh_load(user_id: int) -> CachedUser:
        return NEW

    try:
        racing = asyncio.create_task(cache.get(FIRST, slow_load))
        await asyncio.wait_for(read.wait(), 5)
        await cache.forget(FIRST)  # what the route does after the change committed
        committed.set()
        assert await racing == OLD  # the request itself still gets what it read
        assert redis_client.get(user_key(FIRST)).startswith(GONE)  # but nobody else will
        # A load that began after the forget read the change: it is kept at once.
        assert await cache.get(FIRST, fresh_load) == NEW
        assert await cache.peek(FIRST) == [NEW]
    finally:
        redis_client.delete(user_key(FIRST))
        await client.aclose()


@pytest.mark.asyncio
async def test_two_forgets_during_one_load(redis_url: str, redis_client: redis.Redis) -> None:
    """A load that began after the first change but before the second is stale too."""
    client = Redis.from_url(redis_url)
    cache = UserCache(client, ttl=3600, tombstone_ttl=60)
    await cache.forget(SECOND)
    read, committed = asyncio.Event(), asyncio.Event()

    async def slow_load(user_id: int) -> CachedUser:
        read.set()
        await committed.wait()
        return OLD

    try:
        racing = asyncio.create_task(cache.get(SECOND, slow_load))
        await asyncio.wait_for(read.wait(), 5)
        await cache.forget(SECOND)
        committed.set()
        await racing
        assert await cache.peek(SECOND) == [None]
        assert redis_client.get(user_key(SECOND)).startswith(GONE)
    finally:
        redis_client.delete(user_key(SECOND))
        await client.aclose()

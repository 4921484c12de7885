"""The user cache against a real Redis: a load that read the database before a change committed
(a password reset, a role change, a deletion) must not put what it read back into Redis, or the
old token epoch would keep a revoked access token valid for CACHE_TTL."""

from __future__ import annotations

import asyncio

import pytest
import redis
from redis.asyncio import Redis

from api.cache import GONE, CachedUser, UserCache, create_redis, user_key
from tests.services import redis_process

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


@pytest.mark.asyncio
async def test_a_forget_redis_missed_is_written_before_the_next_read() -> None:
    """Redis away with its data intact (here: saved, stopped, started again) while a password
    reset committed: the old entry must not be served once Redis is back."""
    with redis_process() as server:
        client = create_redis(server.url)
        cache = UserCache(client, ttl=3600, tombstone_ttl=60)

        async def load(user_id: int) -> CachedUser:
            return OLD

        try:
            await cache.get(FIRST, load)
            with redis.Redis.from_url(server.url) as admin:
                admin.save()  # the restart below brings the entry back
            server.stop()
            await cache.forget(FIRST)  # refused: Redis is down
            server.start()
            with redis.Redis.from_url(server.url) as admin:
                assert CachedUser.decode(admin.get(user_key(FIRST))) == OLD
            await asyncio.sleep(1.2)  # the breaker's first pause
            assert await cache.peek(FIRST) == [None]
            with redis.Redis.from_url(server.url) as admin:
                assert admin.get(user_key(FIRST)).startswith(GONE)
        finally:
            await client.aclose()

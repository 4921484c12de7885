"""The asyncpg pool and one small class per resource, one method per `api.*` function.

Functions return JSON already shaped like the API's objects: methods hand the raw text on, so
a response is `{"data": <text>}` without decoding and re-encoding it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from api.settings import Settings


async def create_pool(settings: Settings) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        # Client-side deadline; the server-side statement_timeout below cancels the query itself
        # so its connection comes back to the pool in good state.
        command_timeout=settings.db_query_timeout + 1,
        server_settings={
            "application_name": "gosocial",
            "timezone": "UTC",
            "statement_timeout": str(int(settings.db_query_timeout * 1000)),
        },
    )


class Users:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def register(
        self,
        *,
        username: str,
        email: str,
        password_hash: str,
        token_hash: bytes,
        invitation_ttl: timedelta,
    ) -> str:
        return await self._pool.fetchval(
            "SELECT api.register_user($1, $2, $3, $4, $5)",
            username,
            email,
            password_hash,
            token_hash,
            invitation_ttl,
        )

    async def delete(self, user_id: int) -> None:
        await self._pool.execute("SELECT api.delete_user($1)", user_id)

    async def activate(self, token_hash: bytes) -> int:
        return await self._pool.fetchval("SELECT api.activate_user($1)", token_hash)

    async def get(self, user_id: int) -> str:
        return await self._pool.fetchval("SELECT api.get_user($1)", user_id)

    async def login(self, email: str) -> asyncpg.Record | None:
        return await self._pool.fetchrow("SELECT * FROM api.get_login($1)", email)

    async def set_role(self, user_id: int, role: str) -> str:
        return await self._pool.fetchval("SELECT api.set_user_role($1, $2)", user_id, role)

    async def follow(self, follower_id: int, user_id: int) -> None:
        await self._pool.execute("SELECT api.follow_user($1, $2)", follower_id, user_id)

    async def unfollow(self, follower_id: int, user_id: int) -> None:
        await self._pool.execute("SELECT api.unfollow_user($1, $2)", follower_id, user_id)

    async def feed(
        self,
        *,
        user_id: int,
        limit: int,
        offset: int,
        sort: str,
        tags: list[str] | None,
        search: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> str:
        return await self._pool.fetchval(
            "SELECT api.user_feed($1, $2, $3, $4, $5, $6, $7, $8)",
            user_id,
            limit,
            offset,
            sort,
            tags,
            search,
            since,
            until,
        )

    async def purge_expired(self) -> int:
        return await self._pool.fetchval("SELECT api.purge_expired_invitations()")


class Posts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, *, user_id: int, title: str, content: str, tags: list[str]) -> str:
        return await self._pool.fetchval(
            "SELECT api.create_post($1, $2, $3, $4)", user_id, title, content, tags
        )

    async def get(self, post_id: int) -> str:
        return await self._pool.fetchval("SELECT api.get_post($1)", post_id)

    async def update(
        self,
        *,
        post_id: int,
        actor_id: int,
        version: int,
        title: str | None,
        content: str | None,
        tags: list[str] | None,
    ) -> str:
        return await self._pool.fetchval(
            "SELECT api.update_post($1, $2, $3, $4, $5, $6)",
            post_id,
            actor_id,
            version,
            title,
            content,
            tags,
        )

    async def delete(self, *, post_id: int, actor_id: int) -> None:
        await self._pool.execute("SELECT api.delete_post($1, $2)", post_id, actor_id)

    async def comment(self, *, post_id: int, user_id: int, content: str) -> str:
        return await self._pool.fetchval(
            "SELECT api.create_comment($1, $2, $3)", post_id, user_id, content
        )

    async def comments(self, *, post_id: int, limit: int, offset: int) -> str:
        return await self._pool.fetchval(
            "SELECT api.list_comments($1, $2, $3)", post_id, limit, offset
        )


class RefreshTokens:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def issue(
        self, *, user_id: int, token_hash: bytes, family_id: UUID, ttl: timedelta
    ) -> None:
        await self._pool.execute(
            "SELECT api.issue_refresh_token($1, $2, $3, $4)", user_id, token_hash, family_id, ttl
        )

    async def rotate(self, *, old_hash: bytes, new_hash: bytes, ttl: timedelta) -> int | None:
        """The user id, or None when the old token is unknown, expired, revoked or reused."""
        return await self._pool.fetchval(
            "SELECT api.rotate_refresh_token($1, $2, $3)", old_hash, new_hash, ttl
        )

    async def revoke_family(self, *, token_hash: bytes, user_id: int) -> bool:
        return await self._pool.fetchval(
            "SELECT api.revoke_refresh_family($1, $2)", token_hash, user_id
        )

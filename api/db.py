"""Calls of the `api.*` SQL functions: one generic call per way a call runs, never a method per
function.

`await ctx.db.value("follow_user", follower_id=1, user_id=2)` runs
`SELECT api.follow_user(p_follower_id => $1, p_user_id => $2)`: named notation built from the
keyword arguments, so a misspelt, renamed or reordered SQL parameter fails loudly (42883)
instead of binding a value to the wrong parameter; tests/unit/test_api_structure.py checks every
call's function and keywords against db/ without a database. How a call runs is the method's name:

- `value`, `row`: on the primary (a function's value; the one row of a table function);
- `read`: a read that may go to a replica (api/replica_reads.py; `current=True` for the feed);
- `write`, `write_row`, `write_once`: a write for the caller, whose position reads then wait
  for (`write_row`: a function answering one row of several values).

Functions answer JSON already shaped like the API's objects: the text is handed on, so a
response is `{"data": <text>}` without decoding and re-encoding it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import asyncpg

from api.cache import CachedUser
from api.pool import Pool
from api.replica_reads import ReplicaReads


@cache
def sql(function: str, *params: str, rows: bool = False) -> str:
    """`SELECT api.f(p_a => $1, p_b => $2)` for the arguments `a` and `b`. `rows`: the function
    returns a table (`SELECT * FROM api.f(...)`)."""
    args = ", ".join(f"p_{name} => ${n}" for n, name in enumerate(params, 1))
    return f"SELECT {'* FROM ' if rows else ''}api.{function}({args})"


@dataclass(frozen=True, slots=True)
class Once:
    """What a keyed creation answers: the first answer's status and body, and whether this is
    a replay of it."""

    status: int
    body: str
    replayed: bool


class Db:
    def __init__(self, pool: Pool, reads: ReplicaReads) -> None:
        self._pool, self._reads = pool, reads

    async def value(self, function: str, /, **args: Any) -> Any:
        return await self._pool.fetchval(sql(function, *args), *args.values())

    async def row(self, function: str, /, **args: Any) -> asyncpg.Record | None:
        return await self._pool.fetchrow(sql(function, *args, rows=True), *args.values())

    async def read(self, function: str, /, *, current: bool = False, **args: Any) -> Any:
        """`current`: the read must hold every write answered so far, not only the caller's."""
        return await self._reads.read(sql(function, *args), *args.values(), current=current)

    async def write(self, function: str, /, **args: Any) -> Any:
        return await self._reads.write(sql(function, *args), *args.values())

    async def write_row(self, function: str, /, **args: Any) -> asyncpg.Record:
        return await self._reads.write_row(
            sql(function, *args, rows=True), *args.values(), wrote=lambda row: True
        )

    async def write_once(self, function: str, /, **args: Any) -> Once:
        """A creation under an Idempotency-Key (api.*_once): a replay wrote nothing."""
        row = await self._reads.write_row(
            sql(function, *args, rows=True), *args.values(), wrote=lambda row: not row["replayed"]
        )
        return Once(row["status"], row["body"], row["replayed"])

    async def session_user(self, user_id: int) -> CachedUser:
        """The user and its token epoch, as the user cache keeps them (its loader)."""
        row = await self.row("get_session_user", user_id=user_id)
        assert row is not None  # the function raises SN404 instead of answering no row
        return CachedUser(
            row["user_json"].encode(), row["token_epoch"], frozenset(row["separated"])
        )


async def fan_out_queued(conn: asyncpg.Connection, limit: int) -> int:
    return await conn.fetchval(sql("fan_out_queued", "limit"), limit)

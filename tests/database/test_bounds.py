"""Bounds live in the database (CHECKs, function checks) and again in the pydantic models, which
give clients per-field 400 details: this fails when the two drift apart.

The database's bounds are read from its catalog (CHECK constraints) or, for checks inside
functions, found by calling the function at the edge. The models' are found by validating at the
edge, so it holds however a model spells its rule.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import asyncpg
import pytest
from pydantic import BaseModel, ValidationError

from api.schemas import (
    CommentCreate,
    CommentsQuery,
    FeedQuery,
    PostCreate,
    PostUpdate,
    RegisterBody,
    ReportCreate,
)
from tests.helpers import Database

VALID: dict[type[BaseModel], dict[str, Any]] = {
    PostCreate: {"title": "t", "content": "c"},
    PostUpdate: {"version": 1},
    CommentCreate: {"content": "c"},
    RegisterBody: {"username": "u", "email": "u@example.com", "password": "password"},
    FeedQuery: {},
    CommentsQuery: {},
    ReportCreate: {"post_id": 1, "reason": "r"},
}


def accepts(model: type[BaseModel], field: str, value: object) -> bool:
    try:
        model.model_validate({**VALID[model], field: value})
    except ValidationError:
        return False
    return True


def check_bounds(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    """(table, column) -> (min, max) of every length/cardinality CHECK in schema social."""
    bounds: dict[tuple[str, str], tuple[int, int]] = {}
    rows = db.fetch(
        "SELECT conrelid::regclass::text AS tbl, pg_get_constraintdef(oid) AS def "
        "FROM pg_constraint WHERE contype = 'c' AND connamespace = 'social'::regnamespace"
    )
    for row in rows:
        table, text = row["tbl"].removeprefix("social."), row["def"]
        for col, lo, hi in re.findall(
            r"length\((\w+)\) >= (\d+)\) AND \(length\(\1\) <= (\d+)", text
        ):
            bounds[(table, col)] = (int(lo), int(hi))
        for col, hi in re.findall(r"cardinality\((\w+)\) <= (\d+)", text):
            bounds[(table, col)] = (0, int(hi))
        for col, lo, hi in re.findall(r"lengths_between\((\w+), (\d+), (\d+)\)", text):
            bounds[(table, f"{col}[]")] = (int(lo), int(hi))
    return bounds


# Which model fields carry which column's bound.
COLUMNS = {
    ("posts", "title"): [(PostCreate, "title"), (PostUpdate, "title")],
    ("posts", "content"): [(PostCreate, "content"), (PostUpdate, "content")],
    ("comments", "content"): [(CommentCreate, "content")],
    ("users", "username"): [(RegisterBody, "username")],
    ("reports", "reason"): [(ReportCreate, "reason")],
}


def test_every_length_check_has_its_model_fields(db: Database) -> None:
    bounds = check_bounds(db)
    # The catalog holds what the models are compared with (a renamed CHECK would hide here).
    assert set(COLUMNS) | {("users", "email"), ("posts", "tags"), ("posts", "tags[]")} <= set(
        bounds
    )
    for column, fields in COLUMNS.items():
        lo, hi = bounds[column]
        for model, field in fields:
            assert accepts(model, field, "x" * lo), (column, model.__name__)
            assert accepts(model, field, "x" * hi), (column, model.__name__)
            assert not accepts(model, field, "x" * (hi + 1)), (column, model.__name__, hi)
            assert not accepts(model, field, "x" * (lo - 1)), (column, model.__name__, lo)


def test_email_bound(db: Database) -> None:
    # An address of 255 characters cannot be built under RFC 5321's other limits; compare the
    # declared maximum instead.
    _, hi = check_bounds(db)[("users", "email")]
    declared = [
        m.max_length
        for m in RegisterBody.model_fields["email"].metadata
        if getattr(m, "max_length", None)
    ]
    assert declared == [hi]


def test_tag_bounds(db: Database) -> None:
    bounds = check_bounds(db)
    _, most = bounds[("posts", "tags")]
    lo, hi = bounds[("posts", "tags[]")]
    tags = [f"tag{n}" for n in range(most + 1)]
    for model in (PostCreate, PostUpdate):
        assert accepts(model, "tags", tags[:most])
        assert not accepts(model, "tags", tags)
        assert accepts(model, "tags", [*tags[:most], tags[0].upper()]), "a case duplicate is no tag"
        assert accepts(model, "tags", ["x" * hi])
        assert not accepts(model, "tags", ["x" * (hi + 1)])
        assert not accepts(model, "tags", ["x" * (lo - 1)])


def function_accepts(db: Database, sql: str, *args: object) -> bool:
    """False when the function refuses the arguments with SN400 (its own bound)."""

    async def run() -> bool:
        conn = await asyncpg.connect(db.url)
        try:
            await conn.execute(sql, *args)
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == "SN400":
                return False
            if exc.sqlstate != "SN404":  # a missing post passed the bounds checks
                raise
        finally:
            await conn.close()
        return True

    return asyncio.run(run())


FEED = (
    "SELECT api.user_feed(p_user_id => 1, p_limit => $1, p_offset => 0, p_sort => 'desc', "
    "p_tags => $2, p_search => $3, p_since => NULL, p_until => NULL)"
)
COMMENTS = (
    "SELECT api.list_comments(p_post_id => -1, p_viewer_id => 0, p_limit => $1, p_offset => 0)"
)


@pytest.mark.parametrize(
    ("model", "field", "sql", "values"),
    [
        (FeedQuery, "limit", FEED, lambda n: (n, None, None)),
        (CommentsQuery, "limit", COMMENTS, lambda n: (n,)),
    ],
    ids=["feed-limit", "comments-limit"],
)
def test_function_range_bounds(db: Database, model, field, sql, values) -> None:
    edge = [n for n in range(0, 1002) if accepts(model, field, n)]
    lo, hi = edge[0], edge[-1]
    assert edge == list(range(lo, hi + 1))
    for n, expected in ((lo - 1, False), (lo, True), (hi, True), (hi + 1, False)):
        assert function_accepts(db, sql, *values(n)) is expected, (field, n)


def test_feed_filter_bounds(db: Database) -> None:
    most = max(
        n for n in range(1, 20) if accepts(FeedQuery, "tags", ",".join(f"t{i}" for i in range(n)))
    )
    assert function_accepts(db, FEED, 20, [f"t{i}" for i in range(most)], None)
    assert not function_accepts(db, FEED, 20, [f"t{i}" for i in range(most + 1)], None)
    longest = max(n for n in range(0, 300) if accepts(FeedQuery, "search", "s" * n))
    assert function_accepts(db, FEED, 20, None, "s" * longest)
    assert not function_accepts(db, FEED, 20, None, "s" * (longest + 1))
    # Model-only: the feed's 32-character tag length (a longer tag would match no post anyway).

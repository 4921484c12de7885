"""The SQLSTATE table (api/errors.py) against errors raised by real SQL on the real schema.

Each case calls the database the way a request would, bypassing the models, so the error is
exactly what a check the models let through would produce; the table must answer a 4xx or 503
for it, never a 500. And every SN* code the functions raise is in the table, and vice versa.
"""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest

from api.errors import SQLSTATE_STATUS, from_database
from tests.helpers import Database
from tests.services import ROOT

SETUP = """
INSERT INTO social.users (username, email, password_hash, is_active)
VALUES ('se_alice', 'se_alice@example.com', 'h', true), ('se_bob', 'se_bob@example.com', 'h', true)
ON CONFLICT DO NOTHING;
"""
ALICE = "(SELECT id FROM social.users WHERE username = 'se_alice')"
BOB = "(SELECT id FROM social.users WHERE username = 'se_bob')"

CASES = [
    # (sqlstate, status, SQL that raises it)
    ("SN400", 400, f"SELECT api.follow_user(p_follower_id => {ALICE}, p_user_id => {ALICE})"),
    (
        "SN403",
        403,
        f"SELECT api.set_user_role(p_user_id => {BOB}, p_role => 'admin', p_actor_id => {ALICE})",
    ),
    ("SN404", 404, "SELECT api.get_user(p_user_id => -1)"),
    (
        "SN409",
        409,
        f"SELECT api.update_post(p_post_id => (SELECT api.create_post({ALICE}, 't', "
        "'c', '{}')->>'id')::bigint, p_actor_id => " + ALICE + ", p_version => 7, p_title => 'x', "
        "p_content => NULL, p_tags => NULL)",
    ),
    # An Idempotency-Key used again with another request.
    (
        "SN422",
        422,
        f"SELECT * FROM api.create_post_once({ALICE}, 'se-key', sha256('a'), 't', 'c', NULL); "
        f"SELECT * FROM api.create_post_once({ALICE}, 'se-key', sha256('b'), 't', 'c', NULL)",
    ),
    (
        "23514",
        400,
        f"SELECT api.create_post(p_user_id => {ALICE}, p_title => repeat('x', 101), "
        "p_content => 'c', p_tags => '{}')",
    ),
    # A title of only whitespace (posts_title_not_blank).
    (
        "23514",
        400,
        f"SELECT api.create_post(p_user_id => {ALICE}, p_title => E' \\t ', "
        "p_content => 'c', p_tags => '{}')",
    ),
    (
        "23514",
        400,
        f"SELECT api.create_comment(p_post_id => (SELECT api.create_post({ALICE}, 't', "
        "'c', '{}')->>'id')::bigint, p_user_id => " + ALICE + ", p_content => '')",
    ),
    (
        "23503",
        404,
        "SELECT api.issue_refresh_token(p_user_id => -1, p_token_hash => '\\x00', "
        "p_family_id => gen_random_uuid(), p_ttl => '1 hour')",
    ),
    ("23503", 409, "DELETE FROM social.roles WHERE name = 'user'"),
    (
        "23505",
        409,
        f"INSERT INTO social.followers (user_id, follower_id) VALUES ({ALICE}, {BOB}), "
        f"({ALICE}, {BOB})",
    ),
    ("57014", 503, "SET LOCAL statement_timeout = 1; SELECT pg_sleep(1)"),
    # A write on a server that is read-only (a standby, or a primary restarted in place).
    (
        "25006",
        503,
        "SET TRANSACTION READ ONLY; "
        f"SELECT api.follow_user(p_follower_id => {BOB}, p_user_id => {ALICE})",
    ),
    # A deadlock between concurrent timeline trims and a post delete is possible; its victim
    # is rolled back whole, so the answer is "try again".
    ("40P01", 503, "DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$"),
]


def raise_through_sql(url: str, sql: str, setup: str = SETUP) -> asyncpg.PostgresError:
    async def run() -> asyncpg.PostgresError:
        conn = await asyncpg.connect(url)
        try:
            async with conn.transaction():  # rolled back by the error: nothing stays
                if setup:
                    await conn.execute(setup)
                await conn.execute(sql)
        except asyncpg.PostgresError as exc:
            return exc
        finally:
            await conn.close()
        raise AssertionError(f"no error from {sql}")

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("sqlstate", "status", "sql"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_a_database_error_maps_to_its_status(
    db: Database, sqlstate: str, status: int, sql: str
) -> None:
    exc = raise_through_sql(db.url, sql)
    assert exc.sqlstate == sqlstate, (exc.sqlstate, str(exc))
    mapped = from_database(exc)
    assert mapped is not None and mapped.status_code == status, (sqlstate, mapped)
    if not sqlstate.startswith("SN"):  # only our own messages reach clients
        assert "social" not in str(mapped) and "constraint" not in str(mapped), str(mapped)


def test_every_sqlstate_the_functions_raise_is_mapped_and_every_mapped_one_is_raised() -> None:
    scripts = [p for p in (ROOT / "db").rglob("*.sql") if "reworked" not in p.parts]
    raised = {
        code
        for path in scripts
        if path.parent.name not in ("tests", "seed")
        for code in re.findall(r"ERRCODE = '(SN\d{3})'", path.read_text())
    }
    mapped = {code for code in SQLSTATE_STATUS if code.startswith("SN")}
    assert raised == mapped


def test_the_application_role_must_name_the_acting_user(
    app_database_url: str, db: Database
) -> None:
    """Only an operator in psql may leave the actor out of api.set_user_role."""
    user_id = db.fetchval(
        "INSERT INTO social.users (username, email, password_hash, is_active) "
        "VALUES ('se_carol', 'se_carol@example.com', 'h', true) RETURNING id"
    )
    exc = raise_through_sql(
        app_database_url,
        f"SELECT api.set_user_role(p_user_id => {user_id}, p_role => 'admin')",
        setup="",
    )
    assert exc.sqlstate == "SN403"
    assert db.fetchval("SELECT role_id FROM social.users WHERE id = $1", user_id) == 1

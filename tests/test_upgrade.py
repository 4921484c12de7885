"""The upgrade from the last release: a database at the last tag, with data, deploys HEAD and
keeps its data; pgTAP passes on it; and it reverts to a verified previous release.

Every change after the last tag goes through this test, which is what makes `sqitch rework`
of released functions safe to ship.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import testing.postgresql

from tests.helpers import PGTAP_FILES, pg_prove, psql
from tests.services import ROOT, api, sqitch, sqitch_target

DATABASE = "upgrade"
SEED = ["-v", "users=300", "-v", "posts=2000", "-v", "follows=10"]
COUNTS = (
    "SELECT json_build_object("
    "'users', (SELECT count(*) FROM social.users),"
    "'posts', (SELECT count(*) FROM social.posts),"
    "'comments', (SELECT count(*) FROM social.comments),"
    "'followers', (SELECT count(*) FROM social.followers),"
    "'admins', (SELECT count(*) FROM social.users WHERE role_id = 3),"
    "'content', (SELECT md5(string_agg(title || content || tags::text, ',' ORDER BY id))"
    "            FROM social.posts))"
)


# First feed pages of a sample of users: the same before and after (the feed's data structures
# may change, what a reader sees may not).
FEEDS = (
    "SELECT json_agg(api.user_feed(p_user_id => id, p_limit => 20, p_offset => 0, "
    "p_sort => 'desc', p_tags => NULL, p_search => NULL, p_since => NULL, p_until => NULL) "
    "ORDER BY id) FROM social.users WHERE id % 15 = 1"
)


def what_readers_see(dsn: dict[str, object]) -> Any:
    """The sample's feed pages as values, times as instants: their bytes changed after v1.0
    (compact JSON, six fractional digits), what they say may not."""
    return _instants(orjson.loads(psql(dsn, FEEDS, DATABASE)))


def _instants(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _instants(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_instants(v) for v in value]
    return datetime.fromisoformat(value) if key.endswith("_at") else value


def last_tag() -> str:
    plan = (ROOT / "sqitch.plan").read_text().splitlines()
    return [line.split()[0] for line in plan if line.startswith("@")][-1]


@pytest.fixture(scope="module")
def released(postgresql: testing.postgresql.Postgresql) -> Iterator[str]:
    """A database deployed to the last release and seeded, as a DBA's would be."""
    dsn = postgresql.dsn()
    psql(dsn, f"CREATE DATABASE {DATABASE}")
    target = sqitch_target(dsn, DATABASE)
    sqitch("deploy", "--to", last_tag(), target=target)
    url = f"postgresql://{dsn['user']}@{dsn['host']}:{dsn['port']}/{DATABASE}"
    subprocess.run(
        ["psql", url, "-X", "-q", "-v", "ON_ERROR_STOP=1", *SEED, "-f", "db/seed/seed.sql"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    yield target
    psql(dsn, f"DROP DATABASE {DATABASE} WITH (FORCE)")


def test_upgrade_from_the_last_release_keeps_data_and_reverts(
    released: str,
    postgresql: testing.postgresql.Postgresql,
    app_database_url: str,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    dsn = postgresql.dsn()
    before = psql(dsn, COUNTS, DATABASE)
    feeds = what_readers_see(dsn)
    assert any(feeds), "the sample has posts to compare"

    deployed = sqitch("deploy", target=released).stdout
    print(deployed)  # the output the closing notes quote
    sqitch("verify", target=released)
    assert psql(dsn, COUNTS, DATABASE) == before, "the upgrade changed the seeded data"
    assert what_readers_see(dsn) == feeds, "the upgrade changed what readers see"

    failure = pg_prove(dsn, DATABASE, PGTAP_FILES)
    assert failure is None, failure

    # The service on the upgraded database: a seeded user logs in, and an admin (seeded as
    # such) changes a role through the reworked function.
    env = {**service_env, "DATABASE_URL": app_database_url.rsplit("/", 1)[0] + f"/{DATABASE}"}
    with api(env, tmp_path / "api.log") as server, httpx.Client(base_url=server.url) as client:
        login = client.post(
            "/v1/auth/login", json={"email": "user1@example.com", "password": "password"}
        )
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        role = client.put("/v1/users/3/role", json={"role": "moderator"}, headers=admin)
        assert role.status_code == 200, role.text
        assert role.json()["data"]["role"]["name"] == "moderator"
        psql(dsn, "UPDATE social.users SET role_id = 1 WHERE id = 3", DATABASE)  # as seeded

    reverted = sqitch("revert", "-y", "--to", last_tag(), target=released).stdout
    print(reverted)
    sqitch("verify", target=released)
    assert psql(dsn, COUNTS, DATABASE) == before, "the revert changed the seeded data"
    assert (
        psql(dsn, "SELECT to_regprocedure('api.set_user_role(bigint, text)') IS NOT NULL", DATABASE)
        == "t"
    ), "the previous release's functions are back"

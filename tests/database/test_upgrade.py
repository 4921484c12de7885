"""The upgrade from every release: a database at a tag of the plan, with data, deploys HEAD and
keeps its data; pgTAP passes on it; and it reverts to that release, verified, with its functions
exactly as they were.

Every change after a tag goes through this test, which is what makes `sqitch rework` of
released functions safe to ship. The tags are read from sqitch.plan: a new release is tested
from the day it is tagged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import testing.postgresql

from stack import ROOT
from stack.database import Server, deploy, seed, sqitch
from tests.helpers import PGTAP_FILES, pg_prove
from tests.services import api

# Minutes on a loaded machine: make test starts these modules first (tests/conftest.py).
pytestmark = pytest.mark.slow

TAGS = [
    line.split()[0] for line in (ROOT / "sqitch.plan").read_text().splitlines() if line[:1] == "@"
]
SEED = {"users": 300, "posts": 2000, "follows": 10}
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
# Every function of ours, by signature, with a digest of its body and COMMENT: a revert must
# bring the release's functions back exactly.
FUNCTIONS = (
    "SELECT json_object_agg(p.oid::regprocedure::text, "
    "md5(p.prosrc || coalesce(obj_description(p.oid, 'pg_proc'), ''))) "
    "FROM pg_proc p WHERE p.pronamespace IN ('api'::regnamespace, 'social'::regnamespace)"
)

# First feed pages of a sample of users: the same before and after (the feed's data structures
# may change, what a reader sees may not).
FEEDS = (
    "SELECT json_agg(api.user_feed(p_user_id => id, p_limit => 20, p_offset => 0, "
    "p_sort => 'desc', p_tags => NULL, p_search => NULL, p_since => NULL, p_until => NULL) "
    "ORDER BY id) FROM social.users WHERE id % 15 = 1"
)


@dataclass(frozen=True)
class Release:
    tag: str
    server: Server
    database: str

    @property
    def target(self) -> str:
        return self.server.sqitch_target(self.database)

    def psql(self, sql: str) -> str:
        return self.server.psql(sql, self.database)

    def what_readers_see(self) -> Any:
        """The sample's feed pages as values, times as instants: their bytes changed after
        v1.0 (compact JSON, six fractional digits), what they say may not."""
        return _instants(orjson.loads(self.psql(FEEDS)))


def _as_before(now: Any, before: Any) -> Any:
    """`now` with only the keys `before` had, at every level."""
    if isinstance(now, dict) and isinstance(before, dict):
        return {k: _as_before(now[k], before[k]) for k in before if k in now}
    if isinstance(now, list) and isinstance(before, list) and len(now) == len(before):
        return [_as_before(n, b) for n, b in zip(now, before, strict=True)]
    return now


def _instants(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _instants(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_instants(v) for v in value]
    return datetime.fromisoformat(value) if key.endswith("_at") else value


@pytest.fixture(params=TAGS)
def released(
    request: pytest.FixtureRequest, postgresql: testing.postgresql.Postgresql
) -> Iterator[Release]:
    """A database deployed to a release and seeded, as a DBA's would be."""
    dsn = postgresql.dsn()
    server = Server(f"postgresql://{dsn['user']}@{dsn['host']}:{dsn['port']}")
    release = Release(request.param, server, "upgrade_" + request.param[1:].replace(".", "_"))
    server.psql(f"CREATE DATABASE {release.database}")
    deploy(server, release.database, to=release.tag, verify=False)
    seed(server, release.database, SEED)
    yield release
    server.psql(f"DROP DATABASE {release.database} WITH (FORCE)")


def test_upgrade_from_a_release_keeps_data_and_reverts(
    released: Release,
    postgresql: testing.postgresql.Postgresql,
    app_database_url: str,
    service_env: dict[str, str],
    tmp_path: Path,
) -> None:
    before = released.psql(COUNTS)
    functions = orjson.loads(released.psql(FUNCTIONS))
    feeds = released.what_readers_see()
    assert any(feeds), "the sample has posts to compare"

    # The output the closing notes quote; verified as a whole below.
    print(sqitch("deploy", "--no-verify", target=released.target))
    sqitch("verify", target=released.target)
    assert released.psql(COUNTS) == before, "the upgrade changed the seeded data"
    # Shapes only gain fields (docs/api.md): what the release showed is shown the same.
    seen = _as_before(released.what_readers_see(), feeds)
    assert seen == feeds, "the upgrade changed what readers see"

    failure = pg_prove(postgresql.dsn(), released.database, PGTAP_FILES)
    assert failure is None, failure

    # The service on the upgraded database: a seeded user logs in, and an admin (seeded as
    # such) changes a role through the reworked function.
    env = {
        **service_env,
        "DATABASE_URL": app_database_url.rsplit("/", 1)[0] + f"/{released.database}",
    }
    with api(env, tmp_path / "api.log") as server, httpx.Client(base_url=server.url) as client:
        login = client.post(
            "/v1/auth/login", json={"email": "user1@example.com", "password": "password"}
        )
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['data']['access_token']}"}
        role = client.put("/v1/users/3/role", json={"role": "moderator"}, headers=admin)
        assert role.status_code == 200, role.text
        assert role.json()["data"]["role"]["name"] == "moderator"
        released.psql("UPDATE social.users SET role_id = 1 WHERE id = 3")  # as seeded

    print(sqitch("revert", "-y", "--to", released.tag, target=released.target))
    sqitch("verify", target=released.target)
    assert released.psql(COUNTS) == before, "the revert changed the seeded data"
    assert orjson.loads(released.psql(FUNCTIONS)) == functions, (
        f"the revert did not bring {released.tag}'s functions back as they were"
    )

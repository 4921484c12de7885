"""The sqitch plan deploys, verifies, reverts to empty and deploys again."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import testing.postgresql

from stack import ROOT
from stack.database import Server, sqitch

# Minutes on a loaded machine: make test starts these modules first (tests/conftest.py).
pytestmark = pytest.mark.slow


def server_of(pg: testing.postgresql.Postgresql) -> Server:
    dsn = pg.dsn()
    return Server(f"postgresql://{dsn['user']}@{dsn['host']}:{dsn['port']}")


def test_deploy_verify_revert_redeploy(postgresql: testing.postgresql.Postgresql) -> None:
    server = server_of(postgresql)
    server.psql("CREATE DATABASE roundtrip")
    target = server.sqitch_target("roundtrip")
    ours = "SELECT count(*) FROM pg_namespace WHERE nspname IN ('social', 'api')"

    sqitch("deploy", "--no-verify", target=target)  # verified as a whole below
    sqitch("verify", target=target)
    assert server.psql(ours, "roundtrip") == "2"

    sqitch("revert", "-y", target=target)
    assert server.psql(ours, "roundtrip") == "0"

    sqitch("deploy", "--no-verify", target=target)  # verified as a whole below
    sqitch("verify", target=target)
    assert server.psql("SELECT count(*) FROM social.roles", "roundtrip") == "3"


def test_make_db_new_templates_render(tmp_path: Path) -> None:
    """`make db-new` (sqitch add) renders the house templates with nothing left unexpanded:
    Debian's sqitch 1.3.1 renders with Template::Tiny, which knows no method calls."""
    for name in ("db", "sqitch.plan", "sqitch.conf"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    env = {**os.environ, "SQITCH_FULLNAME": "Test", "SQITCH_EMAIL": "test@example.com"}
    subprocess.run(
        ["sqitch", "add", "functions/demo_thing", "--requires", "schema/users", "-n", "demo"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    for kind in ("", "revert/", "verify/"):
        text = (tmp_path / "db" / f"{kind}functions/demo_thing.sql").read_text()
        assert "gosocial:functions/demo_thing" in text
        assert "[%" not in text and "%]" not in text, text

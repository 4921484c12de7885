"""The sqitch plan deploys, verifies, reverts to empty and deploys again."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import testing.postgresql

from tests.helpers import psql
from tests.services import ROOT, sqitch, sqitch_target


def test_deploy_verify_revert_redeploy(postgresql: testing.postgresql.Postgresql) -> None:
    dsn = postgresql.dsn()
    psql(dsn, "CREATE DATABASE roundtrip")
    target = sqitch_target(dsn, "roundtrip")
    ours = "SELECT count(*) FROM pg_namespace WHERE nspname IN ('social', 'api')"

    sqitch("deploy", target=target)
    sqitch("verify", target=target)
    assert psql(dsn, ours, "roundtrip") == "2"

    sqitch("revert", "-y", target=target)
    assert psql(dsn, ours, "roundtrip") == "0"

    sqitch("deploy", target=target)
    sqitch("verify", target=target)
    assert psql(dsn, "SELECT count(*) FROM social.roles", "roundtrip") == "3"


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

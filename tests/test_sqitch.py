"""The sqitch plan deploys, verifies, reverts to empty and deploys again."""

from __future__ import annotations

import subprocess

import testing.postgresql

from tests.services import sqitch, sqitch_target


def psql(dsn: dict[str, object], sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        [
            "psql",
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(dsn["host"]),
            "-p",
            str(dsn["port"]),
            "-U",
            str(dsn["user"]),
            "-d",
            database,
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


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

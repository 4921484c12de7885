"""The README's tour, pasted in order into a fresh bash against a seeded service."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import testing.postgresql

from stack.database import Server, seed
from tests.helpers import base_env, own_cluster
from tests.services import api, redis_process
from tests.unit.test_docs import readme_tour


def test_readme_tour_runs_as_pasted(
    pg_factory: testing.postgresql.PostgresqlFactory, tmp_path: Path
) -> None:
    """The tour's blocks in one fresh bash, in a directory whose .data/run.log is the log of a
    seeded service with make run's settings (console mail, the rate limit on): each prints what
    the README's comments say."""
    (tmp_path / ".data").mkdir()
    with own_cluster(pg_factory) as cluster, redis_process() as redis:
        server_url, database = cluster.url.rsplit("/", 1)
        seed(Server(server_url), database, {"users": 100, "posts": 1000, "follows": 10})
        env = {**base_env(cluster.app_url, redis.url), "RATE_LIMIT_ENABLED": "true"}
        with api(env, tmp_path / ".data" / "run.log") as service:
            script = "\n".join(readme_tour())
            script = script.replace("API=http://127.0.0.1:8080", f"API={service.url}", 1)
            proc = subprocess.run(
                ["bash", "-c", script],
                cwd=tmp_path,
                env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
    expected = [
        "admin",
        "True",
        "200",
        "409",
        r'Link: </v1/users/feed\?limit=2&cursor=[\w.-]+>; rel="next"',
        "201",
        re.escape(service.url) + r"/confirm/[\w-]{32,}",
        "204",
        re.escape('{"data":[]}'),
    ]
    printed = proc.stdout.splitlines()
    assert not proc.stderr and len(printed) == len(expected), proc.stdout + proc.stderr
    for line, pattern in zip(printed, expected, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)

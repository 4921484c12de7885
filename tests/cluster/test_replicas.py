"""Reads on a replica (DATABASE_READ_URL), each caller reading its own writes.

A real streaming standby of a throwaway primary (pg_basebackup), replaying commits 400 ms late
(recovery_min_apply_delay): right after a write, the replica lacks it. The writer still reads it
(its read waits up to 50 ms for the replica, then goes to the primary), and so does a follower's
feed (docs/api.md: a post is in every follower's feed once its 201 is answered); another user's
read of the post itself, on the replica, does not see it yet, which shows reads really go there.
A stopped replica sends every read to the primary, without an error.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pytest
import testing.postgresql

from tests.helpers import Database, access_claims, base_env, bearer, own_cluster
from tests.services import PG_WRAPPERS, Api, api, free_port, wait_until

DELAY_MS = 400
PAIRS = 200


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {done.stdout}{done.stderr}")


@dataclass
class Standby:
    data: Path
    port: int

    def start(self) -> None:
        _run(
            str(PG_WRAPPERS / "pg_ctl"), "-D", str(self.data), "-w", "-l",
            str(self.data.parent / "standby.log"), "-o",
            f"-h 127.0.0.1 -p {self.port} -F -c max_connections=200"
            f" -c recovery_min_apply_delay={DELAY_MS}ms",
            "start",
        )  # fmt: skip

    def stop(self) -> None:
        subprocess.run(
            [str(PG_WRAPPERS / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
        )


@dataclass
class Replicated:
    primary: Database
    standby: Standby
    service: Api
    secret: str

    def token(self, user_id: int) -> dict[str, str]:
        return bearer(jwt.encode(access_claims(user_id), self.secret, algorithm="HS256"))

    def reads(self) -> dict[str, int]:
        r = httpx.get(f"{self.service.url}/v1/debug/vars", auth=("ops", "ops-password-for-tests"))
        assert r.status_code == 200, r.text
        return r.json()["reads"]


@pytest.fixture(scope="module")
def replicated(
    pg_factory: testing.postgresql.PostgresqlFactory,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Replicated]:
    # Not under pytest's directory, which the postgres user cannot traverse (stack/pg/pgtool).
    base = Path(tempfile.mkdtemp(prefix="standby-"))
    with own_cluster(pg_factory) as primary:
        dsn = primary.pg.dsn()
        standby = Standby(base / "data", free_port())
        _run(
            str(PG_WRAPPERS / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(dsn["port"]),
            "-U", "postgres", "-D", str(standby.data), "-R", "-X", "stream",
        )  # fmt: skip
        standby.data.chmod(0o700)  # pgtool made the directory, PostgreSQL wants it private
        standby.start()
        try:
            replica_url = primary.app_url.replace(f":{dsn['port']}/", f":{standby.port}/")
            # Its own Redis database: user ids of this cluster are not the session cluster's.
            env = {
                **base_env(primary.app_url, redis_url.rsplit("/", 1)[0] + "/7"),
                "DATABASE_READ_URL": replica_url,
                "BASIC_AUTH_USERNAME": "ops",
                "BASIC_AUTH_PASSWORD": "ops-password-for-tests",
            }
            with api(env, tmp_path_factory.mktemp("replicas") / "api.log") as service:
                yield Replicated(primary.db, standby, service, env["JWT_SECRET"])
        finally:
            standby.stop()
            shutil.rmtree(base, ignore_errors=True)


def _users(db: Database, *names: str) -> list[int]:
    return [
        db.fetchval(
            "INSERT INTO social.users (username, email, password_hash, is_active) "
            "VALUES ($1, $1 || '@example.com', 'x', true) RETURNING id",
            name,
        )
        for name in names
    ]


def test_a_writer_reads_its_writes_while_others_read_the_replica(
    replicated: Replicated,
) -> None:
    writer, reader = _users(replicated.primary, "replica_writer", "replica_reader")
    replicated.primary.fetch(
        "INSERT INTO social.followers (user_id, follower_id) VALUES ($1, $2)", writer, reader
    )
    # Both users exist on the replica before the reads start.
    wait_until(
        lambda: (
            httpx.get(
                f"{replicated.service.url}/v1/users/feed", headers=replicated.token(reader)
            ).status_code
            == 200
        ),
        10,
        "the replica to replay the users",
    )
    before = replicated.reads()
    unseen = 0
    with httpx.Client(base_url=replicated.service.url, timeout=10) as client:
        for n in range(PAIRS):
            r = client.post(
                "/v1/posts",
                json={"title": f"pair {n}", "content": "read me at once"},
                headers=replicated.token(writer),
            )
            assert r.status_code == 201, r.text
            post_id = r.json()["data"]["id"]
            # The writer reads its post at once, every time, through the replica pool.
            mine = client.get(f"/v1/posts/{post_id}", headers=replicated.token(writer))
            assert mine.status_code == 200, (n, mine.text)
            feed = client.get("/v1/users/feed?limit=1", headers=replicated.token(writer))
            assert feed.json()["data"][0]["id"] == post_id, n
            if n % 20 == 0:
                # A follower's feed has it at once; the post itself, read by another user on
                # the replica, is not there yet.
                feed = client.get("/v1/users/feed?limit=1", headers=replicated.token(reader))
                assert feed.json()["data"][0]["id"] == post_id, n
                theirs = client.get(f"/v1/posts/{post_id}", headers=replicated.token(reader))
                unseen += theirs.status_code == 404
        # Once replayed, everyone reads it from the replica.
        wait_until(
            lambda: (
                client.get(f"/v1/posts/{post_id}", headers=replicated.token(reader)).status_code
                == 200
            ),
            5,
            "the replica to replay the last post",
        )
    after = replicated.reads()
    assert unseen == PAIRS // 20, unseen
    assert after["replicas"] is True
    assert after["on_replica"] > before["on_replica"], (before, after)


def test_a_stopped_replica_sends_reads_to_the_primary(replicated: Replicated) -> None:
    (reader,) = _users(replicated.primary, "replica_survivor")
    time.sleep(DELAY_MS / 1000 + 0.3)  # the user is on the replica too
    replicated.standby.stop()
    try:
        with httpx.Client(base_url=replicated.service.url, timeout=10) as client:
            for _ in range(20):
                r = client.get("/v1/users/feed", headers=replicated.token(reader))
                assert r.status_code == 200, r.text
    finally:
        replicated.standby.start()

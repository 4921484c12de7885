"""The service through PgBouncer in transaction mode (DB_PGBOUNCER=true).

A real PgBouncer (Debian's) with two server connections in front of a throwaway cluster, and
the service with a pool of eight: consecutive transactions of one client connection land on
either server connection, which breaks named prepared statements, and PgBouncer refuses
`statement_timeout` as a startup parameter. Without the setting the service cannot start; with
it, concurrent requests of every kind are answered as without PgBouncer, and the role's
statement_timeout still cancels a runaway query.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import pytest
import testing.postgresql

from stack.processes import as_service_user, chown_tree
from tests.helpers import Cluster, access_claims, base_env, bearer, own_cluster, psql
from tests.services import Api, api, free_port, port_open, wait_for


@pytest.fixture(scope="module")
def bounced(pg_factory: testing.postgresql.PostgresqlFactory) -> Iterator[tuple[Cluster, str]]:
    """A cluster and the URL of the service's login through PgBouncer."""
    assert shutil.which("pgbouncer"), "pgbouncer is not installed: run `make install`"
    with own_cluster(pg_factory) as cluster:
        dsn = cluster.pg.dsn()
        # What PgBouncer cannot pass on as a startup parameter is set on the role.
        psql(dsn, "ALTER ROLE gosocial SET statement_timeout = '2s'", database="test")
        base = Path(tempfile.mkdtemp(prefix="pgbouncer-"))  # in /tmp: postgres can enter it
        port = free_port()
        (base / "userlist.txt").write_text('"gosocial" ""\n')
        (base / "pgbouncer.ini").write_text(
            f"[databases]\n* = host=127.0.0.1 port={dsn['port']}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {base / 'userlist.txt'}\npool_mode = transaction\n"
            "default_pool_size = 2\nmax_client_conn = 100\n"
        )
        chown_tree(base)  # PgBouncer refuses to run as root
        bouncer = subprocess.Popen(
            as_service_user(["pgbouncer", str(base / "pgbouncer.ini")]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: port_open(port), 10, "PgBouncer to listen")
            yield cluster, f"postgresql://gosocial@127.0.0.1:{port}/test"
        finally:
            bouncer.terminate()
            bouncer.wait(10)
            shutil.rmtree(base, ignore_errors=True)


def _env(url: str, redis_url: str, **extra: str) -> dict[str, str]:
    # Its own Redis database: user ids of this cluster are not the session cluster's.
    return {**base_env(url, redis_url.rsplit("/", 1)[0] + "/8"), "DB_POOL_MAX": "8", **extra}


def test_without_the_setting_pgbouncer_refuses_the_service(
    bounced: tuple[Cluster, str], redis_url: str, tmp_path: Path
) -> None:
    _, url = bounced
    log = tmp_path / "api.log"
    with pytest.raises(RuntimeError, match="exited"):
        Api(_env(url, redis_url), log)
    assert "unsupported startup parameter" in log.read_text()


def test_through_pgbouncer_every_request_is_answered(
    bounced: tuple[Cluster, str], redis_url: str, tmp_path: Path
) -> None:
    cluster, url = bounced
    env = _env(url, redis_url, DB_PGBOUNCER="true")
    user_id = cluster.db.fetchval(
        "INSERT INTO social.users (username, email, password_hash, is_active) "
        "VALUES ('bounced', 'bounced@example.com', 'x', true) RETURNING id"
    )
    headers = bearer(jwt.encode(access_claims(user_id), env["JWT_SECRET"], algorithm="HS256"))
    with api(env, tmp_path / "api.log") as server, server.client(headers=headers) as client:

        def exchange(n: int) -> list[int]:
            created = client.post("/v1/posts", json={"title": f"t{n}", "content": "c"})
            post_id = created.json()["data"]["id"] if created.status_code == 201 else 0
            return [
                created.status_code,
                client.get(f"/v1/posts/{post_id}").status_code,
                client.get("/v1/users/feed").status_code,
                client.get("/v1/posts/999999999").status_code,  # SN404 through PgBouncer
            ]

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(exchange, range(120)))
    assert answers == [[201, 200, 200, 404]] * 120
    written = "SELECT count(*) FROM social.posts WHERE user_id = $1"
    assert cluster.db.fetchval(written, user_id) == 120


def test_the_roles_statement_timeout_still_cancels(bounced: tuple[Cluster, str]) -> None:
    """The timeout the service can no longer send applies through the role."""
    _, url = bounced
    with pytest.raises(subprocess.CalledProcessError) as failed:
        subprocess.run(
            ["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", "SELECT pg_sleep(5)"],
            check=True,
            capture_output=True,
            text=True,
            timeout=20,
        )
    assert "statement timeout" in failed.value.stderr

"""The whole of `make cluster` as one handle: start it, wait for it, stop it, and what a client
of it needs (URLs, the superuser's psql). The parts are etcd.py, patroni.py, proxies.py and
api_tier.py; this module only puts them in order."""

from __future__ import annotations

import functools
import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from stack.cluster import proxies
from stack.cluster.api_tier import ApiTier, api_serving, redis
from stack.cluster.etcd import Etcd
from stack.cluster.patroni import SUPERUSER, Node, Patroni, query
from stack.cluster.ports import Ports
from stack.database import DATABASE, Server, provision
from stack.processes import Service, chown_tree, port_open, require_free


class Cluster:
    """etcd (three members), three Patroni nodes, HAProxy and optionally PgBouncer under
    `base_dir`; with `api_instances`, also Redis and that many API instances behind HAProxy's
    API front, started by `start_api()` once the schema is deployed (`setup_database()`).

    `fast` (the tests) turns fsync off: a process killed with -9 still loses nothing.
    `api_env`: variables of every API instance on top of the cluster's (e.g. the rate limit).
    """

    def __init__(
        self,
        base_dir: Path,
        ports: Ports,
        *,
        pgbouncer: bool = True,
        fast: bool = False,
        api_instances: int = 0,
        api_env: dict[str, str] | None = None,
    ) -> None:
        if api_instances > len(ports.api_instances):
            raise ValueError(f"ports for {len(ports.api_instances)} API instances only")
        self.base_dir = base = base_dir.resolve()
        self.ports = ports
        self.etcd = Etcd(base, ports)
        self.patroni = Patroni(base, ports, self.etcd.hosts(), fast)
        self.nodes: list[Node] = self.patroni.nodes
        self.haproxy = proxies.haproxy(base)
        self.pgbouncer = proxies.pgbouncer(base) if pgbouncer else None
        self.server = Server(f"postgresql://{SUPERUSER}@127.0.0.1:{ports.primary}")
        self.api_count = api_instances
        self.redis = redis(base, ports.redis) if api_instances else None
        self.api = ApiTier(
            base,
            primary_url=self.primary_url(),
            replica_url=self.replica_url(),
            redis_url=self.redis_url(),
            front_url=self.api_url(),
            overrides=dict(api_env or {}),
        )
        self.apis: list[Service] = []  # started by start_api

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def services(self) -> list[Service]:
        extra = [s for s in (self.pgbouncer, self.redis) if s is not None]
        patroni = [n.patroni for n in self.nodes]
        return [*self.etcd.services(), *patroni, self.haproxy, *extra, *self.apis]

    # lifecycle

    def start(self, timeout: float = 150, healthy: bool = True) -> None:
        """Start everything and wait until a leader, a sync standby and a replica run and
        HAProxy routes to them; without `healthy`, only until the primary port reaches the
        leader (the replicas still copying it: wait_healthy() waits for them)."""
        if (self.base_dir / "etcd" / "data").exists():
            raise RuntimeError(f"{self.base_dir} was made with one etcd member: start with --fresh")
        for port in self.ports.all(api=self.api_count > 0):
            front = port == self.ports.api
            variable = "CLUSTER_API_PORT" if front else "CLUSTER_PORT_BASE"
            require_free(port, variable, "make cluster's API front" if front else "make cluster's")
        self.write_configs()
        deadline = time.monotonic() + timeout
        self.etcd.start()
        self._wait(self.etcd.ready, deadline, "etcd's quorum", self.etcd.services())
        for node in self.nodes:
            node.start()
        for service in (self.haproxy, self.pgbouncer, self.redis):
            if service is not None:
                service.start()
        if healthy:
            self._wait(self.patroni.is_healthy, deadline, "a leader, a sync standby and a replica")
            self._wait(self.routes_ready, deadline, "HAProxy's routes")
        else:
            primary = functools.partial(query, self.ports.primary, "SELECT pg_is_in_recovery()")
            self._wait(lambda: primary() == "f", deadline, "a leader behind the primary port")
        if self.pgbouncer:
            self._wait(lambda: port_open(self.ports.pgbouncer), deadline, "PgBouncer")
        if self.redis:
            self._wait(lambda: port_open(self.ports.redis), deadline, "Redis")

    def write_configs(self) -> None:
        self.etcd.write_configs()
        for node in self.nodes:
            node.write_config()
        proxies.write_haproxy_config(self.base_dir, self.ports, self.nodes, self.api_count)
        proxies.write_pgbouncer_config(self.base_dir, self.ports)
        (self.base_dir / "redis").mkdir(exist_ok=True)
        chown_tree(self.base_dir)

    def start_api(self, timeout: float = 60) -> None:
        """Start the API instances (the schema deployed) and wait until each serves on its port
        and HAProxy's API front forwards to them."""
        self.apis = [
            self.api.service(f"api{i}", port)
            for i, port in enumerate(self.ports.api_instances[: self.api_count], 1)
        ]
        for service in self.apis:
            service.start()
        deadline = time.monotonic() + timeout
        for service, port in zip(self.apis, self.ports.api_instances, strict=False):
            self._wait(functools.partial(api_serving, port), deadline, service.name, [service])
        self._wait(
            lambda: api_serving(self.ports.api), deadline, "HAProxy's API front",
            [self.haproxy, *self.apis],
        )  # fmt: skip

    def stop_api(self, timeout: float = 30) -> None:
        """SIGTERM to every API instance at once (each finishes its requests), then wait."""
        for service in self.apis:
            service.send(signal.SIGTERM)
        for service in self.apis:  # not a second SIGTERM: Sanic would kill its workers at once
            if not service.wait(timeout):
                service.kill_group()

    def stop(self) -> list[int]:
        """Stop what was started: the API instances, Patroni (replicas first; each stops its
        PostgreSQL), etcd, then HAProxy, PgBouncer and Redis. Answer the pids still alive
        afterwards (none)."""
        self.stop_api()
        self.patroni.stop()
        self.etcd.stop()
        for service in (self.haproxy, self.pgbouncer, self.redis):
            if service is not None:
                service.stop(signal.SIGTERM, 10)
        left = [s.pid for s in self.services() if s.running() and s.pid is not None]
        left += [pid for n in self.nodes if (pid := n.postmaster_pid()) is not None]
        return left

    def _wait(
        self,
        predicate: Callable[[], bool],
        deadline: float,
        what: str,
        watched: list[Service] | None = None,
    ) -> None:
        """Wait until `predicate`; raise with the logs when a service exits or time is up."""
        watched = self.services() if watched is None else watched
        while not predicate():
            for service in watched:
                service.check()
            if time.monotonic() > deadline:
                logs = "\n\n".join(f"== {s.name}\n{s.log_tail(15)}" for s in watched)
                raise TimeoutError(f"timed out waiting for {what}\n{logs}")
            time.sleep(0.2)

    def routes_ready(self) -> bool:
        """HAProxy's primary port reaches a primary and its replica port a replica."""
        return query(self.ports.primary, "SELECT pg_is_in_recovery()") == "f" and (
            query(self.ports.replicas, "SELECT pg_is_in_recovery()") == "t"
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        """Wait until Patroni reports three healthy members and HAProxy routes to them."""
        deadline = time.monotonic() + timeout
        watched = [*self.etcd.services(), self.haproxy]
        self._wait(self.patroni.is_healthy, deadline, "a healthy cluster", watched)
        self._wait(self.routes_ready, deadline, "HAProxy's routes", [self.haproxy])

    # SQL

    def query(self, port: int, sql: str, database: str = "postgres") -> str | None:
        """`sql` as the superuser on 127.0.0.1:`port` (a node or a HAProxy port); None on any
        failure."""
        return query(port, sql, database)

    def psql(self, sql: str, database: str = DATABASE) -> str:
        """`sql` as the superuser through the primary port; raise with psql's error."""
        return self.server.psql(sql, database)

    def setup_database(self, seed: bool = True) -> None:
        """What `make run` does on one node, through the primary port: the database, the schema
        (sqitch deploy), the service's login role, and the seed when the database is empty."""
        provision(self.server, seed_with={} if seed else None)

    # what a client uses

    def primary_url(self) -> str:
        return self.server.login_url()

    def replica_url(self) -> str:
        return Server(f"postgresql://{SUPERUSER}@127.0.0.1:{self.ports.replicas}").login_url()

    def pgbouncer_url(self) -> str:
        return Server(f"postgresql://{SUPERUSER}@127.0.0.1:{self.ports.pgbouncer}").login_url()

    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    def api_url(self) -> str:
        """HAProxy's API front."""
        return f"http://127.0.0.1:{self.ports.api}"

    def jwt_secret(self) -> str:
        return self.api.jwt_secret()

    def env(self) -> dict[str, str]:
        """The variables another API instance needs over this cluster: the database's and, with
        the API tier, the instances' Redis and signing key (so it shares their limiter, cache
        and tokens)."""
        env = {"DATABASE_URL": self.primary_url(), "DATABASE_READ_URL": self.replica_url()}
        if self.api_count:
            env |= {"REDIS_URL": self.redis_url(), "JWT_SECRET": self.jwt_secret()}
        return env

#!/usr/bin/env python3
"""A replicated PostgreSQL on one machine (`make cluster`), the API over it, and the handle tests
drive them with.

On 127.0.0.1 only, under one directory (default `.data/cluster/`): one etcd member; three
PostgreSQL nodes under Patroni (`synchronous_mode`: an acknowledged commit is on two nodes,
`use_pg_rewind`: a lost leader rejoins as a replica); HAProxy in TCP mode with a primary port
(checks `GET /primary` on each node's Patroni) and a replica port (`GET /replica`, round robin,
falling back to the primary when no replica is up); optionally PgBouncer in transaction mode in
front of the primary port. The schema is deployed with sqitch through the primary port, with the
service's login role and (for `make cluster`) the seed, as `make run` does on one node. Then
Redis and two API instances (`python -m api`: writes on the primary port, reads on the replica
port, one signing key kept beside the data), behind HAProxy in HTTP mode on :8080.

    python3 scripts/cluster.py                  # make cluster: runs until Ctrl-C / SIGTERM
    python3 scripts/cluster.py --fresh          # start from empty data directories
    python3 scripts/cluster.py --port-base 56400 --api-port 8090 --dir /tmp/c --no-seed
    python3 scripts/cluster.py --api-instances 0 --no-pgbouncer   # the database tier only

From Python (tests/test_cluster.py): `with Cluster(path, Ports.free()) as c: c.setup_database()`,
then `c.leader()`, `c.lose_machine(node)`, `c.kill_postmaster(node)`, `c.start_node(node)`,
`c.wait_healthy()`, `c.pause_replay(node)`; with `Cluster(..., api_instances=2)`, also
`c.start_api()` after `setup_database` and `c.api_url()` (tests/test_cluster_service.py). Only
the standard library is used.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
SCOPE = "gosocial"  # Patroni's cluster name (the key prefix in etcd)
DATABASE = "gosocial"
APP_ROLE = "gosocial"  # the service's login: a member of gosocial_app, which the deploy creates
SUPERUSER = "postgres"
NODE_NAMES = ("node1", "node2", "node3")
SERVICE_USER = "postgres"  # PostgreSQL refuses root; everything here runs as this user


def pg_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian layout)."""
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name or 0))
    if not dirs:
        raise SystemExit("PostgreSQL is not installed (scripts/bootstrap.sh installs it)")
    return dirs[-1]


def as_service_user(argv: list[str]) -> list[str]:
    """`argv` run as the postgres user when we are root (setpriv passes signals on)."""
    if os.getuid() != 0:
        return argv
    return ["setpriv", f"--reuid={SERVICE_USER}", f"--regid={SERVICE_USER}", "--init-groups", *argv]


def chown_tree(path: Path) -> None:
    """Hand `path` and everything below it to the service user (when we are root)."""
    if os.getuid() != 0:
        return
    subprocess.run(["chown", "-R", f"{SERVICE_USER}:{SERVICE_USER}", str(path)], check=True)


# --- ports -------------------------------------------------------------------------------------


API_INSTANCES = 2  # API instances `make cluster` runs behind HAProxy's HTTP front
API_FRONT_PORT = 8080  # API.md: `make cluster` serves the API where `make run` does


@dataclass(frozen=True)
class Ports:
    primary: int  # HAProxy: the leader (read-write)
    replicas: int  # HAProxy: the replicas round robin, else the leader
    pgbouncer: int  # PgBouncer (transaction pooling) in front of `primary`
    stats: int  # HAProxy's statistics page (HTTP)
    etcd_client: int
    etcd_peer: int
    postgres: tuple[int, ...]  # per node
    rest: tuple[int, ...]  # per node: Patroni's REST API
    redis: int  # the API instances' Redis (cache, rate limiter, WAL positions)
    api: int  # HAProxy in HTTP mode: the API instances round robin
    api_instances: tuple[int, ...]  # per API instance, each on its own port

    @classmethod
    def from_base(cls, base: int, api: int = API_FRONT_PORT) -> Ports:
        """Fixed ports for `make cluster`: base+0 primary, +1 replicas, +2 PgBouncer, +3 stats,
        +4/+5 etcd, +6 Redis, +11.. PostgreSQL, +21.. Patroni, +31.. the API instances; the
        API front on `api`. The default base, 25400, is below the kernel's ephemeral range
        (32768-60999), where a client socket may hold any port."""
        n = len(NODE_NAMES)
        return cls(
            primary=base,
            replicas=base + 1,
            pgbouncer=base + 2,
            stats=base + 3,
            etcd_client=base + 4,
            etcd_peer=base + 5,
            postgres=tuple(base + 11 + i for i in range(n)),
            rest=tuple(base + 21 + i for i in range(n)),
            redis=base + 6,
            api=api,
            api_instances=tuple(base + 31 + i for i in range(API_INSTANCES)),
        )

    @classmethod
    def free(cls) -> Ports:
        """Ports the kernel says are free now (all held open together, so all distinct)."""
        n = len(NODE_NAMES)
        with contextlib.ExitStack() as stack:
            ports = []
            for _ in range(8 + 2 * n + API_INSTANCES):
                sock = stack.enter_context(socket.socket())
                sock.bind(("127.0.0.1", 0))
                ports.append(sock.getsockname()[1])
        a, b, c, d, e, f, g, h = ports[:8]
        nodes = ports[8:]
        return cls(
            primary=a,
            replicas=b,
            pgbouncer=c,
            stats=d,
            etcd_client=e,
            etcd_peer=f,
            postgres=tuple(nodes[:n]),
            rest=tuple(nodes[n : 2 * n]),
            redis=g,
            api=h,
            api_instances=tuple(nodes[2 * n :]),
        )

    def all(self, api: bool = True) -> list[int]:
        """Every port; without `api`, those of the database tier only."""
        fixed = [self.primary, self.replicas, self.pgbouncer, self.stats]
        database = [*fixed, self.etcd_client, self.etcd_peer, *self.postgres, *self.rest]
        return [*database, self.redis, self.api, *self.api_instances] if api else database


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def api_serving(port: int) -> bool:
    """Whether an API instance (or HAProxy's front) answers its check on `port` with a 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{API_CHECK}", timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):
        return False


def port_taken(port: int) -> bool:
    """Whether a server could not bind 127.0.0.1:`port` now (a listener or a client socket)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


# --- processes ---------------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, which an orphan becomes when nobody reaps it, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """The direct children of `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def kill(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def wait_gone(pids: list[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


@dataclass
class Service:
    """One long-running process of the cluster, in its own session, logging to a file."""

    name: str
    argv: list[str]
    log_path: Path
    service_user: bool = True  # run as the postgres user (when we are root)
    cwd: Path | None = None  # default: the log's directory
    env: dict[str, str] = field(default_factory=dict)  # on top of ours
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PATRONI_", "PG"))}
        self.proc = subprocess.Popen(
            as_service_user(self.argv) if self.service_user else self.argv,
            cwd=self.cwd or self.log_path.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches us only; we stop them in order
            env={**inherited, **self.env},
        )

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check(self) -> None:
        """Raise, with the end of its log, when it has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
            )

    def send(self, sig: signal.Signals) -> None:
        if self.running() and self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    def wait(self, timeout: float) -> bool:
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        self._close_log()
        return True

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> None:
        """`sig`, then SIGKILL after `timeout` seconds (to its whole process group: its session,
        which it leads, e.g. an API instance's workers)."""
        self.send(sig)
        if not self.wait(timeout):
            self.kill_group()

    def kill_group(self) -> None:
        """SIGKILL to its process group, and reap it."""
        if self.running() and self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.wait(10)

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


# --- the nodes ---------------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    pg_port: int
    rest_port: int
    dir: Path
    replay_delay_ms: int = 0  # recovery_min_apply_delay, through Patroni's recovery_conf
    patroni: Service = field(init=False)

    def __post_init__(self) -> None:
        self.patroni = Service(
            f"patroni {self.name}", ["patroni", str(self.config_path)], self.dir / "patroni.log"
        )

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def config_path(self) -> Path:
        return self.dir / "patroni.yml"

    def url(self, user: str = SUPERUSER, database: str = DATABASE) -> str:
        """This node's PostgreSQL directly (not through HAProxy)."""
        return f"postgresql://{user}@127.0.0.1:{self.pg_port}/{database}"

    def postmaster_pid(self) -> int | None:
        """The running postmaster's pid (from postmaster.pid), or None."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def rest(self, path: str, timeout: float = 2) -> tuple[int, Any]:
        """GET `path` on this node's Patroni: (status, decoded JSON body); (0, None) unreachable."""
        url = f"http://127.0.0.1:{self.rest_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            with contextlib.suppress(ValueError):
                return error.code, json.loads(error.read() or b"null")
            return error.code, None
        except (OSError, ValueError):
            return 0, None

    def config(self, etcd_port: int, fast: bool) -> dict[str, Any]:
        """Patroni's configuration for this node (written as JSON, which YAML reads)."""
        parameters: dict[str, Any] = {
            "wal_log_hints": "on",  # pg_rewind
            "max_connections": 200,
            "shared_buffers": "64MB",
            "unix_socket_directories": str(self.dir),
            "logging_collector": "off",  # PostgreSQL's log goes to patroni.log
            "log_line_prefix": "%m [%p] ",
        }
        if fast:  # a throwaway cluster: kill -9 loses nothing the OS has, only a power cut would
            parameters["fsync"] = "off"
        return {
            "scope": SCOPE,
            "name": self.name,
            "log": {"level": "INFO"},
            "restapi": {
                "listen": f"127.0.0.1:{self.rest_port}",
                "connect_address": f"127.0.0.1:{self.rest_port}",
            },
            "etcd3": {"host": f"127.0.0.1:{etcd_port}"},
            "bootstrap": {
                "dcs": {
                    "ttl": 10,
                    "loop_wait": 2,
                    "retry_timeout": 5,
                    "maximum_lag_on_failover": 1048576,
                    "synchronous_mode": True,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "parameters": {"wal_log_hints": "on", "max_connections": 200},
                    },
                },
                "initdb": [{"encoding": "UTF8"}, "data-checksums", *(["no-sync"] if fast else [])],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{self.pg_port}",
                "connect_address": f"127.0.0.1:{self.pg_port}",
                "data_dir": str(self.data_dir),
                "bin_dir": str(pg_bin_dir()),
                "pgpass": str(self.dir / "pgpass"),
                "authentication": {
                    "superuser": {"username": SUPERUSER, "password": "postgres"},
                    "replication": {"username": "replicator", "password": "replicator"},
                    "rewind": {"username": "rewinder", "password": "rewinder"},
                },
                "pg_hba": [
                    "local all all trust",
                    "host all all 127.0.0.1/32 trust",
                    "host replication all 127.0.0.1/32 trust",
                ],
                "parameters": parameters,
                **(
                    {"recovery_conf": {"recovery_min_apply_delay": f"{self.replay_delay_ms}ms"}}
                    if self.replay_delay_ms
                    else {}
                ),
            },
            "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False},
        }


# --- configuration files -----------------------------------------------------------------------


API_CHECK = "/livez"  # public, not rate limited, no dependency: is the instance serving?


def haproxy_config(ports: Ports, nodes: list[Node], api_instances: int = 0) -> str:
    """TCP proxying by Patroni's checks: `primary` (GET /primary), `replicas` (GET /replica,
    round robin) and, when no replica is up, the replica port's reads go to the primary. With
    `api_instances`, HTTP proxying on the API front to the instances, round robin."""

    def servers() -> list[str]:
        return [
            f"    server {n.name} 127.0.0.1:{n.pg_port} maxconn 200 check port {n.rest_port}"
            for n in nodes
        ]

    check = [
        "    http-check expect status 200",
        "    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions",
    ]
    return "\n".join(
        [
            "global",
            "    maxconn 1000",
            "defaults",
            "    mode tcp",
            "    retries 2",
            "    timeout connect 2s",
            "    timeout client 30m",
            "    timeout server 30m",
            "    timeout check 2s",
            "listen stats",
            "    mode http",
            f"    bind 127.0.0.1:{ports.stats}",
            "    stats enable",
            "    stats uri /",
            "    stats refresh 2s",
            "frontend primary",
            f"    bind 127.0.0.1:{ports.primary}",
            "    default_backend leader",
            "frontend replicas",
            f"    bind 127.0.0.1:{ports.replicas}",
            "    use_backend replica_nodes if { nbsrv(replica_nodes) gt 0 }",
            "    default_backend leader",
            "backend leader",
            "    option httpchk GET /primary",
            *check,
            *servers(),
            "backend replica_nodes",
            "    balance roundrobin",
            "    option httpchk GET /replica",
            *check,
            *servers(),
            *(api_front(ports, api_instances) if api_instances else []),
            "",
        ]
    )


def api_front(ports: Ports, instances: int) -> list[str]:
    """HTTP on the API front, round robin over the instances that answer their check. The
    check is /livez, not /readyz: a database outage is the instances' to answer (a JSON 503),
    not a reason to take them all out. HAProxy appends the client's address to X-Forwarded-For
    on every request it forwards (the instances' TRUSTED_PROXY_HEADER, for the rate limiter)."""
    return [
        "frontend api",
        "    mode http",
        f"    bind 127.0.0.1:{ports.api}",
        "    timeout client 65s",
        "    timeout http-request 10s",
        "    option forwardfor",
        "    default_backend api_instances",
        "backend api_instances",
        "    mode http",
        "    balance roundrobin",
        "    option redispatch",  # a connection refused by one instance is retried on another
        "    timeout server 65s",  # the instances' REQUEST_TIMEOUT is 60 s
        f"    option httpchk GET {API_CHECK}",
        "    http-check expect status 200",
        "    default-server inter 1s fall 2 rise 1",
        *(
            f"    server api{i} 127.0.0.1:{port} check"
            for i, port in enumerate(ports.api_instances[:instances], 1)
        ),
    ]


def pgbouncer_config(ports: Ports, directory: Path) -> str:
    return "\n".join(
        [
            "[databases]",
            f"* = host=127.0.0.1 port={ports.primary}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {ports.pgbouncer}",
            "unix_socket_dir =",
            "auth_type = trust",
            f"auth_file = {directory / 'userlist.txt'}",
            f"admin_users = {SUPERUSER}",
            "pool_mode = transaction",
            "max_client_conn = 500",
            "default_pool_size = 20",
            "server_login_retry = 1",
            "ignore_startup_parameters = extra_float_digits",
            f"pidfile = {directory / 'pgbouncer.pid'}",
            "",
        ]
    )


# --- the cluster -------------------------------------------------------------------------------


class Cluster:
    """etcd, three Patroni nodes, HAProxy and optionally PgBouncer under `base_dir`; with
    `api_instances`, also Redis and that many API instances behind HAProxy's API front.

    `fast` (for tests) turns fsync off: a process killed with -9 still loses nothing.
    `api_env`: variables of the API instances on top of `api_env()`'s (e.g. the rate limit).
    The instances start with `start_api()`, once the schema is deployed (`setup_database`).
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
        self.base_dir = base_dir.resolve()
        self.ports = ports
        self.fast = fast
        self.api_overrides = dict(api_env or {})
        self.nodes = [
            Node(name, pg, rest, self.base_dir / name)
            for name, pg, rest in zip(NODE_NAMES, ports.postgres, ports.rest, strict=True)
        ]
        d = self.base_dir
        etcd_url = f"http://127.0.0.1:{ports.etcd_client}"
        peer_url = f"http://127.0.0.1:{ports.etcd_peer}"
        self.etcd = Service(
            "etcd",
            [
                "etcd",
                "--name=etcd1",
                f"--data-dir={d / 'etcd' / 'data'}",
                f"--listen-client-urls={etcd_url}",
                f"--advertise-client-urls={etcd_url}",
                f"--listen-peer-urls={peer_url}",
                f"--initial-advertise-peer-urls={peer_url}",
                f"--initial-cluster=etcd1={peer_url}",
                f"--initial-cluster-token={SCOPE}",
                "--initial-cluster-state=new",
            ],
            d / "etcd" / "etcd.log",
        )
        self.haproxy = Service(
            "haproxy", ["haproxy", "-f", str(d / "haproxy" / "haproxy.cfg"), "-db"],
            d / "haproxy" / "haproxy.log",
        )  # fmt: skip
        self.pgbouncer = (
            Service(
                "pgbouncer",
                ["pgbouncer", str(d / "pgbouncer" / "pgbouncer.ini")],
                d / "pgbouncer" / "pgbouncer.log",
            )
            if pgbouncer
            else None
        )
        self.redis = (
            Service(
                "redis",
                [
                    *("redis-server", "--port", str(ports.redis), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", str(d / "redis")),
                ],
                d / "redis" / "redis.log",
                service_user=False,
            )
            if api_instances
            else None
        )
        self.api_count = api_instances
        self.apis: list[Service] = []  # started by start_api

    # lifecycle

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
        return [self.etcd, *(n.patroni for n in self.nodes), self.haproxy, *extra, *self.apis]

    def write_configs(self) -> None:
        for directory in ("etcd", "haproxy", "pgbouncer", "redis"):
            (self.base_dir / directory).mkdir(parents=True, exist_ok=True)
        for node in self.nodes:
            node.dir.mkdir(parents=True, exist_ok=True)
            node.dir.chmod(0o700)
            self.write_node_config(node)
        (self.base_dir / "haproxy" / "haproxy.cfg").write_text(
            haproxy_config(self.ports, self.nodes, self.api_count)
        )
        bouncer = self.base_dir / "pgbouncer"
        (bouncer / "pgbouncer.ini").write_text(pgbouncer_config(self.ports, bouncer))
        (bouncer / "userlist.txt").write_text(f'"{SUPERUSER}" ""\n"{APP_ROLE}" ""\n')
        chown_tree(self.base_dir)

    def write_node_config(self, node: Node) -> None:
        config = node.config(self.ports.etcd_client, self.fast)
        node.config_path.write_text(json.dumps(config, indent=2) + "\n")
        chown_tree(node.config_path)

    def start(self, timeout: float = 150) -> None:
        """Start everything and wait until a leader, a sync standby and a replica run and
        HAProxy routes to them."""
        taken = [p for p in self.ports.all(api=self.api_count > 0) if port_taken(p)]
        if taken:
            raise SystemExit(
                f"ports already in use: {taken} (another cluster? --port-base, --api-port)"
            )
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.write_configs()
        deadline = time.monotonic() + timeout
        self.etcd.start()
        self._wait(self._etcd_ready, deadline, "etcd", [self.etcd])
        for node in self.nodes:
            node.patroni.start()
        self.haproxy.start()
        if self.pgbouncer:
            self.pgbouncer.start()
        if self.redis:
            self.redis.start()
        self._wait(self.is_healthy, deadline, "a leader, a sync standby and a replica")
        self._wait(self.routes_ready, deadline, "HAProxy's routes")
        if self.pgbouncer:
            self._wait(lambda: port_open(self.ports.pgbouncer), deadline, "PgBouncer")
        if self.redis:
            self._wait(lambda: port_open(self.ports.redis), deadline, "Redis")

    def start_api(self, timeout: float = 60) -> None:
        """Start the API instances (the schema deployed) and wait until each serves on its port
        and HAProxy's API front forwards to them."""
        self.apis = [
            self.api_service(f"api{i}", port)
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

    def _etcd_ready(self) -> bool:
        url = f"http://127.0.0.1:{self.ports.etcd_client}/health"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                return bool(json.loads(response.read()).get("health") == "true")
        except (OSError, ValueError):
            return False

    def stop(self) -> list[int]:
        """Stop what was started: the API instances, Patroni (replicas first; each stops its
        PostgreSQL), then etcd, then HAProxy, PgBouncer and Redis. Answer the pids still alive
        afterwards (none)."""
        self.stop_api()
        leader = self.leader_name()
        for group in (
            [n for n in self.nodes if n.name != leader],
            [n for n in self.nodes if n.name == leader],
        ):
            for node in group:
                node.patroni.send(signal.SIGTERM)
            for node in group:
                if not node.patroni.wait(60):
                    node.patroni.stop(signal.SIGKILL)
        for node in self.nodes:  # a postmaster Patroni left behind (its Patroni was killed)
            pid = node.postmaster_pid()
            if pid is not None:
                kill([pid], signal.SIGINT)  # fast shutdown
                if not wait_gone([pid], 30):
                    kill([pid], signal.SIGKILL)
        self.etcd.stop()
        self.haproxy.stop(signal.SIGTERM, 10)
        if self.pgbouncer:
            self.pgbouncer.stop(signal.SIGTERM, 10)
        if self.redis:
            self.redis.stop(signal.SIGTERM, 10)
        left = [s.pid for s in self.services() if s.running() and s.pid is not None]
        left += [pid for n in self.nodes if (pid := n.postmaster_pid()) is not None]
        return left

    # what Patroni says

    def members(self) -> list[dict[str, Any]]:
        """`GET /cluster` from the first node whose Patroni answers ([] when none does)."""
        for node in self.nodes:
            status, body = node.rest("/cluster")
            if status == 200 and isinstance(body, dict):
                return list(body.get("members", []))
        return []

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def _with_role(self, role: str) -> list[Node]:
        return [self.node(m["name"]) for m in self.members() if m.get("role") == role]

    def leader_name(self) -> str | None:
        names = [m["name"] for m in self.members() if m.get("role") == "leader"]
        return names[0] if names else None

    def leader(self) -> Node:
        nodes = self._with_role("leader")
        if len(nodes) != 1:
            raise LookupError(f"no single leader: {self.members()}")
        return nodes[0]

    def sync_standby(self) -> Node:
        nodes = self._with_role("sync_standby")
        if len(nodes) != 1:
            raise LookupError(f"no single sync standby: {self.members()}")
        return nodes[0]

    def replicas(self) -> list[Node]:
        """The running non-leaders (the sync standby included)."""
        return [
            self.node(m["name"])
            for m in self.members()
            if m.get("role") in ("sync_standby", "replica") and m.get("state") == "running"
        ]

    def is_healthy(self) -> bool:
        """Three members running, one leader, one sync standby, every replica's lag 0, all on
        the leader's timeline."""
        members = self.members()
        roles = sorted(m.get("role", "") for m in members)
        return (
            len(members) == len(self.nodes)
            and roles == ["leader", "replica", "sync_standby"]
            and all(m.get("state") == "running" for m in members)
            and all(m.get("lag", 0) == 0 for m in members)
            and len({m.get("timeline") for m in members}) == 1
        )

    def routes_ready(self) -> bool:
        """HAProxy's primary port reaches a primary and its replica port a replica."""
        return self.query(self.ports.primary, "SELECT pg_is_in_recovery()") == "f" and (
            self.query(self.ports.replicas, "SELECT pg_is_in_recovery()") == "t"
        )

    def wait_healthy(self, timeout: float = 60) -> None:
        """Wait until `is_healthy` and HAProxy routes to the leader and a replica."""
        deadline = time.monotonic() + timeout
        self._wait(self.is_healthy, deadline, "a healthy cluster", [self.etcd, self.haproxy])
        self._wait(self.routes_ready, deadline, "HAProxy's routes", [self.haproxy])

    # faults

    def lose_machine(self, node: Node) -> float:
        """The node's machine is gone: SIGKILL to its Patroni, its postmaster and their children
        at once (no shutdown, no last word to etcd). Answer when (time.monotonic())."""
        patroni = node.patroni.pid if node.patroni.running() else None
        pids = [pid for pid in (patroni, node.postmaster_pid()) if pid is not None]
        pids += [child for pid in pids for child in children(pid)]
        kill(pids, signal.SIGKILL)
        killed_at = time.monotonic()
        node.patroni.wait(10)
        if not wait_gone(pids, 10):
            raise RuntimeError(f"{node.name}: processes survived SIGKILL")
        return killed_at

    def kill_postmaster(self, node: Node) -> float:
        """SIGKILL the node's postmaster alone (its Patroni stays and restarts it). Answer when
        (time.monotonic())."""
        pid = node.postmaster_pid()
        if pid is None:
            raise LookupError(f"{node.name} has no running postmaster")
        kill([pid], signal.SIGKILL)
        killed_at = time.monotonic()
        wait_gone([pid], 10)
        return killed_at

    def start_node(self, node: Node) -> None:
        """Start the node's Patroni again (after lose_machine or stop_node)."""
        if node.patroni.running():
            raise RuntimeError(f"{node.name}'s Patroni is running")
        node.patroni.start()

    def stop_node(self, node: Node, timeout: float = 60) -> None:
        """A clean stop of the node's Patroni, which stops its PostgreSQL."""
        node.patroni.stop(signal.SIGTERM, timeout)

    def delay_replay(self, node: Node, delay_ms: int, timeout: float = 15) -> None:
        """Set `recovery_min_apply_delay` on a replica: it receives and confirms WAL at once but
        applies each commit only `delay_ms` after the primary made it (0: at once again).

        Through Patroni's own configuration (the node's file, then POST /reload): Patroni
        resumes a replay paused with pg_wal_replay_pause() within a loop, and rewrites recovery
        settings made behind its back."""
        node.replay_delay_ms = delay_ms
        self.write_node_config(node)
        request = urllib.request.Request(
            f"http://127.0.0.1:{node.rest_port}/reload", data=b"", method="POST"
        )
        with urllib.request.urlopen(request, timeout=5):
            pass
        wait_until(
            lambda: (
                self.query(
                    node.pg_port,
                    "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'",
                )
                == str(delay_ms)
            ),
            timeout,
            f"recovery_min_apply_delay = {delay_ms} on {node.name}",
        )

    def pause_replay(self, node: Node) -> None:
        """Hold a replica's replay back (a day's apply delay) until resume_replay."""
        self.delay_replay(node, 86_400_000)

    def resume_replay(self, node: Node) -> None:
        self.delay_replay(node, 0)

    # SQL

    def query(
        self, port: int, sql: str, database: str = "postgres", user: str = SUPERUSER
    ) -> str | None:
        """`sql` with psql on 127.0.0.1:`port`: its unaligned output, or None on any failure."""
        proc = subprocess.run(
            ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port),
             "-U", user, "-d", database, "-c", sql],
            capture_output=True, text=True, check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "3"},
        )  # fmt: skip
        return proc.stdout.strip() if proc.returncode == 0 else None

    def psql(self, sql: str, database: str = DATABASE, *args: str) -> str:
        """`sql` as the superuser through the primary port; raise with psql's error."""
        proc = subprocess.run(
            ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.ports.primary), "-U", SUPERUSER, "-d", database, *args, "-c", sql],
            capture_output=True, text=True, check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"psql failed: {sql}\n{proc.stderr}")
        return proc.stdout.strip()

    def setup_database(self, seed: bool = True) -> None:
        """What `make run` does on one node, through the primary port: the database, the schema
        (sqitch deploy), the service's login role, and the seed when the database is empty."""
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'", "postgres")
        if not exists:
            self.psql(f"CREATE DATABASE {DATABASE}", "postgres")
        target = f"db:pg://{SUPERUSER}@127.0.0.1:{self.ports.primary}/{DATABASE}"
        proc = subprocess.run(
            ["sqitch", "deploy", target], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"sqitch deploy failed:\n{proc.stdout}\n{proc.stderr}")
        self.psql(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
            f"THEN CREATE ROLE {APP_ROLE} LOGIN IN ROLE gosocial_app; END IF; END $$"
        )
        if seed and self.psql("SELECT count(*) FROM social.users") == "0":
            self.psql("SELECT 1", DATABASE, "-f", str(ROOT / "db" / "seed" / "seed.sql"))

    # what an API instance would use

    def primary_url(self, user: str = APP_ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.ports.primary}/{DATABASE}"

    def replica_url(self, user: str = APP_ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.ports.replicas}/{DATABASE}"

    def pgbouncer_url(self, user: str = APP_ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.ports.pgbouncer}/{DATABASE}"

    def env(self) -> dict[str, str]:
        """The variables another API instance needs over this cluster: the database's and, with
        the API tier, the instances' Redis and signing key (so it shares their limiter, cache
        and tokens)."""
        env = {"DATABASE_URL": self.primary_url(), "DATABASE_READ_URL": self.replica_url()}
        if self.api_count:
            env |= {"REDIS_URL": self.redis_url(), "JWT_SECRET": self.jwt_secret()}
        return env

    # the API tier

    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports.redis}/0"

    def api_url(self) -> str:
        """HAProxy's API front."""
        return f"http://127.0.0.1:{self.ports.api}"

    def jwt_secret(self) -> str:
        """The API instances' signing key: made once, then kept beside the data (mode 0600), so
        tokens outlive a restart of `make cluster`."""
        path = self.base_dir / "api" / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
                f.write(secrets.token_urlsafe(48) + "\n")
        return path.read_text().strip()

    def api_env(self, port: int) -> dict[str, str]:
        """An API instance's variables: writes on the primary port, reads on the replica port,
        the shared Redis, console mail, the cluster's signing key; then `api_env` given."""
        return {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WORKERS": "1",
            "DATABASE_URL": self.primary_url(),
            "DATABASE_READ_URL": self.replica_url(),
            "REDIS_URL": self.redis_url(),
            "MAILER": "console",
            "JWT_SECRET": self.jwt_secret(),
            "FRONTEND_URL": self.api_url(),  # the links in mail lead to the front
            "TRUSTED_PROXY_HEADER": "X-Forwarded-For",  # HAProxy's, for the rate limiter
            **self.api_overrides,
        }

    def api_service(self, name: str, port: int, env: dict[str, str] | None = None) -> Service:
        """`python -m api` on `port` over this cluster (not started yet), with `env` on top of
        `api_env`, logging to `<name>/api.log`. start_api makes the front's instances with it;
        a test may make more."""
        return Service(
            name,
            [sys.executable, "-m", "api"],
            self.base_dir / name / "api.log",
            service_user=False,
            cwd=ROOT,
            env={**self.api_env(port), **(env or {})},
        )

    def describe(self) -> str:
        p = self.ports
        lines = [
            f"  Cluster directory   {self.base_dir}   (logs: */*.log)",
            f"  etcd                http://127.0.0.1:{p.etcd_client}",
        ]
        roles = {m["name"]: m.get("role", "?") for m in self.members()}
        for node in self.nodes:
            lines.append(
                f"  {node.name:<19} postgresql://{SUPERUSER}@127.0.0.1:{node.pg_port}   "
                f"Patroni http://127.0.0.1:{node.rest_port}/patroni   "
                f"({roles.get(node.name, 'down')})"
            )
        lines += [
            f"  HAProxy primary     {self.primary_url()}   (read-write, GET /primary)",
            f"  HAProxy replicas    {self.replica_url()}   (read-only, GET /replica)",
            f"  HAProxy stats       http://127.0.0.1:{p.stats}/",
        ]
        if self.pgbouncer:
            lines.append(f"  PgBouncer           {self.pgbouncer_url()}   (transaction pooling)")
        lines.append(
            f"  Superuser           postgresql://{SUPERUSER}@127.0.0.1:{p.primary}/{DATABASE}"
        )
        if self.api_count:
            front = self.api_url()
            names = ", ".join(f"api{i}" for i in range(1, self.api_count + 1))
            lines += [
                f"  Redis               {self.redis_url()}   (cache, rate limiter, WAL positions)",
                *(
                    f"  {service.name:<19} http://127.0.0.1:{port}/v1   "
                    f"(log: {service.log_path.relative_to(self.base_dir)})"
                    for service, port in zip(self.apis, p.api_instances, strict=False)
                ),
                "",
                f"  API (HAProxy, HTTP) {front}/v1   (round robin over {names}; "
                f"checks GET {API_CHECK})",
                f"  API docs            {front}/v1/swagger/",
                f"  Health              {front}/v1/health   (Basic admin/admin in development)",
                f"  Signing key         {self.base_dir / 'api' / 'jwt_secret'}",
            ]
        env = {k: "<see the file>" if k == "JWT_SECRET" else v for k, v in self.env().items()}
        lines += [
            "",
            f"  For another API instance over this cluster (in {self.base_dir / 'env'}):",
            *(f"    export {k}={v}" for k, v in env.items()),
        ]
        return "\n".join(lines)


# --- make cluster ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, default=ROOT / ".data" / "cluster")
    parser.add_argument(
        "--port-base", type=int, default=int(os.environ.get("CLUSTER_PORT_BASE", "25400"))
    )
    parser.add_argument("--fresh", action="store_true", help="delete the directory first")
    parser.add_argument("--no-pgbouncer", action="store_true")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument(
        "--api-port",
        type=int,
        default=int(os.environ.get("CLUSTER_API_PORT", str(API_FRONT_PORT))),
        help="HAProxy's API front (default 8080, or CLUSTER_API_PORT)",
    )
    parser.add_argument(
        "--api-instances", type=int, default=API_INSTANCES, choices=range(API_INSTANCES + 1),
        help="API instances behind the front (0: the database tier only)",
    )  # fmt: skip
    parser.add_argument("--api-workers", type=int, default=1, help="WORKERS of each instance")
    args = parser.parse_args(argv)

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with it ignored
    if args.fresh:
        shutil.rmtree(args.dir, ignore_errors=True)
    cluster = Cluster(
        args.dir,
        Ports.from_base(args.port_base, api=args.api_port),
        pgbouncer=not args.no_pgbouncer,
        api_instances=args.api_instances,
        api_env={"WORKERS": str(args.api_workers)},
    )
    started = time.monotonic()
    try:
        with_redis = ", Redis" if args.api_instances else ""
        print(f"starting etcd, 3 Patroni nodes, HAProxy{with_redis} under {cluster.base_dir} ...")
        cluster.start()
        print(f"cluster up in {time.monotonic() - started:.1f} s; deploying the schema ...")
        cluster.setup_database(seed=not args.no_seed)
        env_file = cluster.base_dir / "env"
        with os.fdopen(os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write("".join(f"export {k}={v}\n" for k, v in cluster.env().items()))
        if args.api_instances:
            print(f"starting {args.api_instances} API instances behind {cluster.api_url()} ...")
            cluster.start_api()
        print(f"ready in {time.monotonic() - started:.1f} s\n\n{cluster.describe()}")
        if args.api_instances and not args.no_seed:
            print("  Seeded admin        user1@example.com / password   (every seeded user's)")
        print("\n  Ctrl-C stops everything it started.\n", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            watch(cluster)
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        print("stopping the API, Patroni, etcd, HAProxy, PgBouncer and Redis ...", flush=True)
        left = cluster.stop()
        print("stopped" if not left else f"still running: {left}", flush=True)
    return 0


def watch(cluster: Cluster) -> None:
    """Until interrupted: say when the leader changes; fail when etcd, HAProxy, PgBouncer,
    Redis or an API instance exits."""
    leader = cluster.leader_name()
    while True:
        time.sleep(1)
        for service in (cluster.etcd, cluster.haproxy, cluster.pgbouncer, cluster.redis):
            if service is not None:
                service.check()
        for service in cluster.apis:
            service.check()
        now = cluster.leader_name()
        if now != leader:
            print(f"{time.strftime('%H:%M:%S')} leader: {leader} -> {now}", flush=True)
            leader = now


if __name__ == "__main__":
    sys.exit(main())

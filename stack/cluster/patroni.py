"""The three PostgreSQL nodes, each under its Patroni: their configuration (config/patroni.yml),
what Patroni says about them, and the faults the tests inflict on them."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stack.cluster.ports import NODE_NAMES, Ports
from stack.cluster.templates import CONFIG, render
from stack.database import DATABASE
from stack.processes import Service, children, chown_tree, kill, pid_alive, wait_gone, wait_until

SUPERUSER = "postgres"


def pg_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian layout)."""
    dirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name or 0))
    if not dirs:
        raise SystemExit("PostgreSQL is not installed (scripts/bootstrap.sh installs it)")
    return dirs[-1]


def failover_setting(name: str) -> str:
    """A setting of config/patroni.yml's bootstrap.dcs as written there (e.g. "ttl")."""
    text = (CONFIG / "patroni.yml").read_text()
    found = re.search(rf"^    {re.escape(name)}: *([^#\n]+?) *(#.*)?$", text, re.MULTILINE)
    if found is None:
        raise LookupError(f"{name} is not in config/patroni.yml's bootstrap.dcs")
    return found.group(1)


def query(port: int, sql: str, database: str = "postgres", user: str = SUPERUSER) -> str | None:
    """`sql` with psql on 127.0.0.1:`port`: its unaligned output, or None on any failure."""
    proc = subprocess.run(
        ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port),
         "-U", user, "-d", database, "-c", sql],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PGCONNECT_TIMEOUT": "3"},
    )  # fmt: skip
    return proc.stdout.strip() if proc.returncode == 0 else None


@dataclass
class Node:
    name: str
    pg_port: int
    rest_port: int
    dir: Path
    etcd_hosts: list[str]
    fast: bool = False  # fsync off: a throwaway cluster (the tests)
    replay_delay_ms: int = 0  # recovery_min_apply_delay, through Patroni's recovery_conf
    patroni: Service = field(init=False)

    def __post_init__(self) -> None:
        self.patroni = Service(
            f"patroni {self.name}",
            ["patroni", str(self.config_path)],
            self.dir / "patroni.log",
            service_user=True,
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

    def query(self, sql: str, database: str = "postgres") -> str | None:
        return query(self.pg_port, sql, database)

    def write_config(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        config = render(
            "patroni.yml",
            name=self.name,
            rest_port=self.rest_port,
            etcd_hosts=json.dumps(self.etcd_hosts),
            pg_port=self.pg_port,
            dir=self.dir,
            bin_dir=pg_bin_dir(),
            fsync="off" if self.fast else "on",
            initdb_no_sync=", no-sync" if self.fast else "",
            replay_delay_ms=self.replay_delay_ms,
        )
        self.config_path.write_text(config)
        chown_tree(self.config_path)

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

    # lifecycle and faults

    def start(self) -> None:
        """Start its Patroni (again, after lose_machine or stop)."""
        if self.patroni.running():
            raise RuntimeError(f"{self.name}'s Patroni is running")
        self.patroni.start()

    def stop(self, timeout: float = 60) -> None:
        """A clean stop of its Patroni, which stops its PostgreSQL."""
        self.patroni.stop(signal.SIGTERM, timeout)

    def stop_postmaster(self) -> None:
        """A postmaster Patroni left behind (its Patroni was killed): a fast shutdown."""
        pid = self.postmaster_pid()
        if pid is not None:
            kill([pid], signal.SIGINT)
            if not wait_gone([pid], 30):
                kill([pid], signal.SIGKILL)

    def lose_machine(self) -> float:
        """The node's machine is gone: SIGKILL to its Patroni, its postmaster and their children
        at once (no shutdown, no last word to etcd). Answer when (time.monotonic())."""
        patroni = self.patroni.pid if self.patroni.running() else None
        pids = [pid for pid in (patroni, self.postmaster_pid()) if pid is not None]
        pids += [child for pid in pids for child in children(pid)]
        kill(pids, signal.SIGKILL)
        killed_at = time.monotonic()
        self.patroni.wait(10)
        if not wait_gone(pids, 10):
            raise RuntimeError(f"{self.name}: processes survived SIGKILL")
        return killed_at

    def kill_postmaster(self) -> float:
        """SIGKILL its postmaster alone (its Patroni stays and restarts it). Answer when."""
        pid = self.postmaster_pid()
        if pid is None:
            raise LookupError(f"{self.name} has no running postmaster")
        kill([pid], signal.SIGKILL)
        killed_at = time.monotonic()
        wait_gone([pid], 10)
        return killed_at

    def delay_replay(self, delay_ms: int, timeout: float = 15) -> None:
        """Set `recovery_min_apply_delay` on a replica: it receives and confirms WAL at once but
        applies each commit only `delay_ms` after the primary made it (0: at once again).

        Through Patroni's own configuration (the node's file, then POST /reload): Patroni
        resumes a replay paused with pg_wal_replay_pause() within a loop, and rewrites recovery
        settings made behind its back."""
        self.replay_delay_ms = delay_ms
        self.write_config()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.rest_port}/reload", data=b"", method="POST"
        )
        with urllib.request.urlopen(request, timeout=5):
            pass
        setting = "SELECT setting FROM pg_settings WHERE name = 'recovery_min_apply_delay'"
        wait_until(
            lambda: self.query(setting) == str(delay_ms),
            timeout,
            f"recovery_min_apply_delay = {delay_ms} on {self.name}",
        )

    def pause_replay(self) -> None:
        """Hold a replica's replay back (a day's apply delay) until resume_replay."""
        self.delay_replay(86_400_000)

    def resume_replay(self) -> None:
        self.delay_replay(0)


class Patroni:
    """The nodes together, and their roles as Patroni reports them (GET /cluster)."""

    def __init__(self, base_dir: Path, ports: Ports, etcd_hosts: list[str], fast: bool) -> None:
        self.nodes = [
            Node(name, pg, rest, base_dir / name, etcd_hosts, fast)
            for name, pg, rest in zip(NODE_NAMES, ports.postgres, ports.rest, strict=True)
        ]

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

    def stop(self) -> None:
        """The replicas first, then the leader, so that nothing fails over (each Patroni stops
        its PostgreSQL), then any postmaster a killed Patroni left behind. A throwaway cluster
        (`fast`) is killed at once: a sync standby stopped cleanly waits up to `ttl` for the
        leader to release it, and its data is deleted anyway."""
        if self.nodes[0].fast:
            for node in self.nodes:
                node.lose_machine()
            return
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
        for node in self.nodes:
            node.stop_postmaster()

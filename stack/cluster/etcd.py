"""etcd, where Patroni keeps the leader lock: three members, so that losing one costs nothing and
losing two (no quorum) makes the leader step down rather than leave two primaries."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from stack.cluster.ports import ETCD_NAMES, Ports
from stack.cluster.templates import render
from stack.processes import Service


@dataclass
class Member:
    name: str
    client_port: int
    peer_port: int
    dir: Path
    service: Service = field(init=False)

    def __post_init__(self) -> None:
        config = self.dir / "etcd.yml"
        self.service = Service(
            f"etcd {self.name}",
            ["etcd", f"--config-file={config}"],
            self.dir / "etcd.log",
            service_user=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    def _call(self, path: str, body: bytes | None = None) -> object:
        """A request to the member's HTTP API, its decoded JSON; None when it does not answer."""
        try:
            with urllib.request.urlopen(self.url + path, data=body, timeout=1) as response:
                return json.loads(response.read())
        except (OSError, ValueError):
            return None

    def healthy(self) -> bool:
        """Whether it answers with a quorum behind it (etcd's /health reads through raft)."""
        answer = self._call("/health")
        return isinstance(answer, dict) and answer.get("health") == "true"

    def is_leader(self) -> bool:
        """Whether it is etcd's raft leader now."""
        status = self._call("/v3/maintenance/status", b"{}")
        if not isinstance(status, dict):
            return False
        return bool(status.get("leader") == status.get("header", {}).get("member_id"))

    def lose(self) -> float:
        """Its machine is gone: SIGKILL, no goodbye to its peers. Answer when (monotonic)."""
        self.service.kill_group()
        return time.monotonic()

    def start(self) -> None:
        """Start it (again: it rejoins from its data directory)."""
        if self.service.running():
            raise RuntimeError(f"{self.name} is running")
        self.service.start()


class Etcd:
    def __init__(self, base_dir: Path, ports: Ports) -> None:
        self.members = [
            Member(name, client, peer, base_dir / "etcd" / name)
            for name, client, peer in zip(
                ETCD_NAMES, ports.etcd_client, ports.etcd_peer, strict=True
            )
        ]

    def hosts(self) -> list[str]:
        """host:port of each member's client side (Patroni's `etcd3.hosts`)."""
        return [f"127.0.0.1:{m.client_port}" for m in self.members]

    def write_configs(self) -> None:
        initial = ",".join(f"{m.name}=http://127.0.0.1:{m.peer_port}" for m in self.members)
        for m in self.members:
            m.dir.mkdir(parents=True, exist_ok=True)
            config = render(
                "etcd.yml",
                name=m.name,
                dir=m.dir,
                client_port=m.client_port,
                peer_port=m.peer_port,
                initial_cluster=initial,
            )
            (m.dir / "etcd.yml").write_text(config)

    def services(self) -> list[Service]:
        return [m.service for m in self.members]

    def start(self) -> None:
        for m in self.members:
            m.service.start()

    def ready(self) -> bool:
        return all(m.healthy() for m in self.members)

    def leader(self) -> Member:
        """The raft leader (LookupError while there is none)."""
        for m in self.members:
            if m.is_leader():
                return m
        raise LookupError("etcd has no leader")

    def stop(self) -> None:
        """SIGTERM to every member, then SIGKILL to any still there after 2 s: the last one
        would wait out its leadership transfer to peers that are gone. etcd syncs its log
        before it answers a write, so a kill loses nothing."""
        for service in self.services():
            service.send(signal.SIGTERM)
        for service in self.services():
            service.stop(timeout=2)

"""HAProxy (the primary and replica ports by Patroni's checks; the API front over the instances)
and PgBouncer (transaction pooling in front of the primary port). Their settings are
config/haproxy.cfg, config/haproxy-api.cfg and config/pgbouncer.ini."""

from __future__ import annotations

from pathlib import Path

from stack.cluster.patroni import SUPERUSER, Node
from stack.cluster.ports import Ports
from stack.cluster.templates import render
from stack.database import LOGIN
from stack.processes import Service

API_CHECK = "/livez"  # public, not rate limited, no dependency: is the instance serving?


def haproxy(base_dir: Path) -> Service:
    directory = base_dir / "haproxy"
    return Service(
        "haproxy",
        ["haproxy", "-f", str(directory / "haproxy.cfg"), "-db"],
        directory / "haproxy.log",
        service_user=True,
    )


def write_haproxy_config(base_dir: Path, ports: Ports, nodes: list[Node], apis: int) -> None:
    """The database routes and, with `apis` instances, the API front over the first `apis`."""
    servers = "\n".join(
        f"    server {n.name} 127.0.0.1:{n.pg_port} check port {n.rest_port}" for n in nodes
    )
    text = render(
        "haproxy.cfg",
        stats_port=ports.stats,
        primary_port=ports.primary,
        replicas_port=ports.replicas,
        node_servers=servers,
    )
    if apis:
        text += render(
            "haproxy-api.cfg",
            api_port=ports.api,
            api_check=API_CHECK,
            api_servers="\n".join(
                f"    server api{i} 127.0.0.1:{port} check"
                for i, port in enumerate(ports.api_instances[:apis], 1)
            ),
        )
    directory = base_dir / "haproxy"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "haproxy.cfg").write_text(text)


def pgbouncer(base_dir: Path) -> Service:
    directory = base_dir / "pgbouncer"
    return Service(
        "pgbouncer",
        ["pgbouncer", str(directory / "pgbouncer.ini")],
        directory / "pgbouncer.log",
        service_user=True,  # it refuses root
    )


def write_pgbouncer_config(base_dir: Path, ports: Ports) -> None:
    directory = base_dir / "pgbouncer"
    directory.mkdir(parents=True, exist_ok=True)
    config = render(
        "pgbouncer.ini", primary_port=ports.primary, pgbouncer_port=ports.pgbouncer, dir=directory
    )
    (directory / "pgbouncer.ini").write_text(config)
    (directory / "userlist.txt").write_text(f'"{SUPERUSER}" ""\n"{LOGIN}" ""\n')

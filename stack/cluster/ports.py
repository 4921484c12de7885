"""Where each process of the cluster listens: fixed from a base for `make cluster`, or whatever
the kernel says is free for the tests. Everything is on 127.0.0.1."""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass

NODE_NAMES = ("node1", "node2", "node3")  # the Patroni nodes, one PostgreSQL each
ETCD_NAMES = ("etcd1", "etcd2", "etcd3")  # etcd's members: a quorum survives one lost
API_INSTANCES = 2  # API instances `make cluster` runs behind HAProxy's HTTP front
API_FRONT_PORT = 8080  # `make cluster` serves the API where `make run` does
PORT_BASE = 25400  # below the kernel's ephemeral range (32768-60999), where a client may hold any


@dataclass(frozen=True)
class Ports:
    primary: int  # HAProxy: the leader (read-write)
    replicas: int  # HAProxy: the replicas round robin, else the leader
    pgbouncer: int  # PgBouncer (transaction pooling) in front of `primary`
    stats: int  # HAProxy's statistics page (HTTP)
    redis: int  # the API instances' Redis (cache, rate limiter, WAL positions)
    postgres: tuple[int, ...]  # per node
    rest: tuple[int, ...]  # per node: Patroni's REST API
    api_instances: tuple[int, ...]  # per API instance, each on its own port
    etcd_client: tuple[int, ...]  # per etcd member
    etcd_peer: tuple[int, ...]  # per etcd member
    api: int  # HAProxy in HTTP mode: the API instances round robin

    @classmethod
    def from_base(cls, base: int = PORT_BASE, api: int = API_FRONT_PORT) -> Ports:
        """Fixed ports for `make cluster`: base+0 primary, +1 replicas, +2 PgBouncer, +3 stats,
        +6 Redis, +11.. PostgreSQL, +21.. Patroni, +31.. the API instances, +41.. etcd's
        clients, +51.. etcd's peers; the API front on `api`."""

        def run(offset: int, count: int) -> tuple[int, ...]:
            return tuple(base + offset + i for i in range(count))

        return cls(
            primary=base,
            replicas=base + 1,
            pgbouncer=base + 2,
            stats=base + 3,
            redis=base + 6,
            postgres=run(11, len(NODE_NAMES)),
            rest=run(21, len(NODE_NAMES)),
            api_instances=run(31, API_INSTANCES),
            etcd_client=run(41, len(ETCD_NAMES)),
            etcd_peer=run(51, len(ETCD_NAMES)),
            api=api,
        )

    @classmethod
    def free(cls) -> Ports:
        """Ports the kernel says are free now (all held open together, so all distinct)."""
        nodes, members = len(NODE_NAMES), len(ETCD_NAMES)
        with contextlib.ExitStack() as stack:
            ports = []
            for _ in range(6 + 2 * nodes + API_INSTANCES + 2 * members):
                sock = stack.enter_context(socket.socket())
                sock.bind(("127.0.0.1", 0))
                ports.append(sock.getsockname()[1])
        taken = iter(ports)

        def run(count: int) -> tuple[int, ...]:
            return tuple(next(taken) for _ in range(count))

        return cls(
            primary=next(taken),
            replicas=next(taken),
            pgbouncer=next(taken),
            stats=next(taken),
            redis=next(taken),
            postgres=run(nodes),
            rest=run(nodes),
            api_instances=run(API_INSTANCES),
            etcd_client=run(members),
            etcd_peer=run(members),
            api=next(taken),
        )

    def all(self, api: bool = True) -> list[int]:
        """Every port; without `api`, those of the database tier only."""
        database = [self.primary, self.replicas, self.pgbouncer, self.stats, *self.postgres,
                    *self.rest, *self.etcd_client, *self.etcd_peer]  # fmt: skip
        return [*database, self.redis, self.api, *self.api_instances] if api else database

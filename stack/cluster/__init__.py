"""`make cluster`: a replicated PostgreSQL on one machine, and the API over it.

On 127.0.0.1 only, under one directory (default `.data/cluster/`): etcd with three members;
three PostgreSQL nodes under Patroni (synchronous_mode, use_pg_rewind: config/patroni.yml holds
the failover settings); HAProxy in TCP mode with a primary port (Patroni's GET /primary) and a
replica port (GET /replica, round robin, the primary when no replica is up); optionally PgBouncer
in transaction mode in front of the primary port. The schema is deployed through the primary
port by stack.database, as for `make run`. Then Redis and two API instances behind HAProxy in
HTTP mode on :8080.

    ports       where each process listens
    templates   config/*: the settings of etcd, Patroni, HAProxy and PgBouncer, as data
    etcd        the three members; losing one, losing two
    patroni     the nodes, their roles, the faults the tests inflict on them
    proxies     HAProxy and PgBouncer
    api_tier    Redis and the API instances over the cluster
    cluster     Cluster: all of it in order, started, waited for, stopped
    __main__    the command line: `python -m stack.cluster --help`

From Python (tests/test_cluster.py, bench/cluster.py): `with Cluster(path, Ports.free()) as c:
c.setup_database()`, then `c.patroni.leader()`, `node.lose_machine()`, `c.etcd.members[0].lose()`,
`c.wait_healthy()`. Only the standard library is used.
"""

from stack.cluster.api_tier import api_serving
from stack.cluster.cluster import Cluster
from stack.cluster.patroni import Node
from stack.cluster.ports import Ports

__all__ = ["Cluster", "Node", "Ports", "api_serving"]

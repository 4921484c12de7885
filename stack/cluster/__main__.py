"""`make cluster`: start etcd, three Patroni nodes, HAProxy, PgBouncer, Redis and two API
instances, deploy the schema, print where everything is, and run until Ctrl-C / SIGTERM.

    python -m stack.cluster                  # make cluster
    python -m stack.cluster --fresh          # start from empty data directories
    python -m stack.cluster --port-base 56400 --api-port 8090 --dir /tmp/c --no-seed
    python -m stack.cluster --api-instances 0 --no-pgbouncer   # the database tier only
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from stack import ROOT
from stack.cluster.cluster import Cluster
from stack.cluster.patroni import SUPERUSER
from stack.cluster.ports import API_FRONT_PORT, API_INSTANCES, PORT_BASE, Ports
from stack.cluster.proxies import API_CHECK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack.cluster", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--dir", type=Path, default=ROOT / ".data" / "cluster")
    parser.add_argument(
        "--port-base", type=int, default=int(os.environ.get("CLUSTER_PORT_BASE", PORT_BASE)),
        help=f"the first of the cluster's ports (default {PORT_BASE}, or CLUSTER_PORT_BASE)",
    )  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="delete the directory first")
    parser.add_argument("--no-pgbouncer", action="store_true")
    parser.add_argument("--no-seed", action="store_true")
    parser.add_argument(
        "--api-port", type=int, default=int(os.environ.get("CLUSTER_API_PORT", API_FRONT_PORT)),
        help=f"HAProxy's API front (default {API_FRONT_PORT}, or CLUSTER_API_PORT)",
    )  # fmt: skip
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
        cluster.start(healthy=False)
        print(f"a leader in {time.monotonic() - started:.1f} s; deploying the schema ...")
        cluster.setup_database(seed=not args.no_seed)
        cluster.wait_healthy(120)  # the replicas, copying the leader meanwhile
        env_file = cluster.base_dir / "env"
        with os.fdopen(os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write("".join(f"export {k}={v}\n" for k, v in cluster.env().items()))
        if args.api_instances:
            print(f"starting {args.api_instances} API instances behind {cluster.api_url()} ...")
            cluster.start_api()
        print(f"ready in {time.monotonic() - started:.1f} s\n\n{describe(cluster)}")
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
    """Until interrupted: say when the leader changes or an etcd member is down; fail when
    HAProxy, PgBouncer, Redis or an API instance exits."""
    leader = cluster.patroni.leader_name()
    down: set[str] = set()
    while True:
        time.sleep(1)
        for service in (cluster.haproxy, cluster.pgbouncer, cluster.redis, *cluster.apis):
            if service is not None:
                service.check()
        now = cluster.patroni.leader_name()
        if now != leader:
            print(f"{time.strftime('%H:%M:%S')} leader: {leader} -> {now}", flush=True)
            leader = now
        gone = {m.name for m in cluster.etcd.members if not m.service.running()}
        if gone != down:
            print(f"{time.strftime('%H:%M:%S')} etcd members down: {sorted(gone)}", flush=True)
            down = gone


def describe(cluster: Cluster) -> str:
    """Every URL, and the variables another API instance over this cluster needs."""
    p, base = cluster.ports, cluster.base_dir
    etcd = ", ".join(m.url for m in cluster.etcd.members)
    lines = [f"  Cluster directory   {base}   (logs: */*.log)", f"  etcd                {etcd}"]
    roles = {m["name"]: m.get("role", "?") for m in cluster.patroni.members()}
    lines += [
        f"  {node.name:<19} postgresql://{SUPERUSER}@127.0.0.1:{node.pg_port}   "
        f"Patroni http://127.0.0.1:{node.rest_port}/patroni   ({roles.get(node.name, 'down')})"
        for node in cluster.nodes
    ]
    lines += [
        f"  HAProxy primary     {cluster.primary_url()}   (read-write, GET /primary)",
        f"  HAProxy replicas    {cluster.replica_url()}   (read-only, GET /replica)",
        f"  HAProxy stats       http://127.0.0.1:{p.stats}/",
    ]
    if cluster.pgbouncer:
        lines.append(f"  PgBouncer           {cluster.pgbouncer_url()}   (transaction pooling)")
    lines.append(f"  Superuser           {cluster.server.database_url()}")
    if cluster.api_count:
        front = cluster.api_url()
        names = ", ".join(service.name for service in cluster.apis)
        lines += [
            f"  Redis               {cluster.redis_url()}   (cache, rate limiter, WAL positions)",
            *(
                f"  {service.name:<19} http://127.0.0.1:{port}/v1   "
                f"(log: {service.log.relative_to(base)})"
                for service, port in zip(cluster.apis, p.api_instances, strict=False)
            ),
            "",
            f"  API (HAProxy, HTTP) {front}/v1   (round robin over {names}; "
            f"checks GET {API_CHECK})",
            f"  API docs            {front}/v1/swagger/",
            f"  Health              {front}/v1/health   (Basic admin/admin in development)",
            f"  Signing key         {base / 'api' / 'jwt_secret'}",
        ]
    env = {k: "<see the file>" if k == "JWT_SECRET" else v for k, v in cluster.env().items()}
    lines += [
        "",
        f"  For another API instance over this cluster (in {base / 'env'}):",
        *(f"    export {k}={v}" for k, v in env.items()),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

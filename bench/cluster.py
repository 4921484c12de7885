"""`make bench-cluster`: the service over `make cluster`'s replicated PostgreSQL, three ways.

The same seeded cluster (stack/cluster/: three Patroni nodes, HAProxy, PgBouncer) and the
same service (WORKERS=2, Redis), with every read on the primary (DATABASE_URL, HAProxy's primary
port), with reads on the two replicas as well (DATABASE_READ_URL, HAProxy's replica port), and
through PgBouncer (DB_PGBOUNCER). For each: the feed and the uncached GET /v1/users/{id} under
wrk, and the CPU seconds each PostgreSQL node spent during the load. Everything runs on this one
machine's cores, so replicas add no capacity here: the rows show what the routing costs and
where the work lands. Writes bench/CLUSTER.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import jwt

from bench.config import BENCH, RESULTS
from stack.cluster import Cluster, Node, Ports, api_serving
from stack.database import seed
from stack.processes import children, wait_until

USERS, POSTS, FOLLOWS = 10_000, 100_000, 50
DURATION, WARMUP, CONNECTIONS = 10, 3, 32
REPORT = BENCH / "CLUSTER.md"
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(node: Node) -> float:
    """User and system CPU of a node's postmaster and its backends so far."""
    pid = node.postmaster_pid()
    if pid is None:
        return 0.0
    total = 0
    for proc in (pid, *children(pid)):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def wrk(url: str, path: str, tokens: Path, out: Path) -> dict[str, float]:
    env = {**os.environ, "BENCH_LUA": str(BENCH / "lua"), "BENCH_DATA": str(tokens.parent),
           "BENCH_TOKENS": tokens.name, "BENCH_PATH": path, "BENCH_IDS": "range",
           "BENCH_ID_MAX": str(USERS), "BENCH_THREADS": "2", "BENCH_OUT": str(out)}  # fmt: skip
    argv = ["wrk", "-t2", f"-c{CONNECTIONS}", "--latency", "-s", str(BENCH / "lua" / "request.lua")]
    subprocess.run([*argv, f"-d{WARMUP}s", url], env=env, check=True, capture_output=True)
    subprocess.run([*argv, f"-d{DURATION}s", url], env=env, check=True, capture_output=True)
    summary = json.loads(out.read_text())
    return {
        "rps": summary["requests"] / (summary["duration_us"] / 1e6),
        "p99": summary["latency_us"]["p99"] / 1000,
        "errors": sum(summary["errors"].values()),
    }


def tokens_for(secret: str, path: Path) -> Path:
    """Access tokens of 2,000 seeded users, signed with the cluster's key as the API signs them."""
    now = int(time.time())
    claims = {"iat": now, "nbf": now - 60, "exp": now + 3600, "iss": "gosocial",
              "aud": "gosocial", "typ": "access"}  # fmt: skip
    path.write_text("".join(
        f"{uid} {jwt.encode({**claims, 'sub': str(uid), 'jti': secrets.token_hex(8)}, secret)}\n"
        for uid in range(3, 2003)
    ))  # fmt: skip
    return path


def main() -> None:
    run = RESULTS / ("cluster-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    base = Path("/tmp") / run.name  # postgres must be able to enter it (in /tmp, not /root)
    run.mkdir(parents=True)
    rows: list[str] = []
    try:
        # One API slot: the cluster runs Redis and keeps the signing key; the instance is
        # started by hand, once per setup.
        with Cluster(base, Ports.free(), pgbouncer=True, api_instances=1) as cluster:
            cluster.setup_database(seed=False)
            seed(cluster.server, variables={"users": USERS, "posts": POSTS, "follows": FOLLOWS})
            # PgBouncer cannot pass statement_timeout on: the role carries it.
            cluster.psql("ALTER ROLE gosocial SET statement_timeout = '5s'")
            cluster.psql("VACUUM ANALYZE", "gosocial")
            leader = cluster.patroni.leader().name
            tokens = tokens_for(cluster.jwt_secret(), run / "tokens.txt")
            port = cluster.ports.api_instances[0]
            common = {"WORKERS": "2", "RATE_LIMIT_ENABLED": "false", "DB_POOL_MIN": "8",
                      "DB_POOL_MAX": "8", "CACHE_TTL": "3600"}  # fmt: skip
            setups = [
                ("reads on the primary", {"DATABASE_READ_URL": ""}),
                ("reads on two replicas", {}),
                ("through PgBouncer", {"DATABASE_URL": cluster.pgbouncer_url(),
                                       "DATABASE_READ_URL": "", "DB_PGBOUNCER": "true"}),
            ]  # fmt: skip
            loads = [
                ("GET /v1/users/feed", "/v1/users/feed", {}),
                ("GET /v1/users/{id}, cache off", "/v1/users/{id}", {"REDIS_URL": ""}),
            ]
            for name, path, extra in loads:
                for setup, env in setups:
                    if extra.get("REDIS_URL") == "" and "DATABASE_READ_URL" not in env:
                        continue  # without Redis no write position is known: all on the primary
                    service = cluster.api.service(f"bench{len(rows)}", port,
                                                  {**common, **env, **extra})  # fmt: skip
                    service.start()
                    try:
                        wait_until(lambda: api_serving(port), 30, "the service")
                        before = {n.name: cpu_seconds(n) for n in cluster.nodes}
                        figures = wrk(f"http://127.0.0.1:{port}", path, tokens,
                                      run / f"{len(rows)}.json")  # fmt: skip
                        cpu = {n.name: cpu_seconds(n) - before[n.name] for n in cluster.nodes}
                    finally:
                        service.stop()
                    nodes = ", ".join(
                        f"{n}{' (primary)' if n == leader else ''} {s:.1f} s"
                        for n, s in sorted(cpu.items())
                    )
                    rows.append(
                        f"| {name} | {setup} | {figures['rps']:,.0f} | {figures['p99']:.2f} | "
                        f"{figures['errors']:.0f} | {nodes} |"
                    )
                    print(rows[-1], flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    REPORT.write_text("\n".join([
        "# GoSocial over the replicated cluster", "",
        f"Written by `make bench-cluster` (bench/cluster.py) on {datetime.now(UTC):%Y-%m-%d %H:%M} "
        f"UTC, {os.cpu_count()} cores shared by everything. Data: {USERS:,} users, {POSTS:,} "
        f"posts, {FOLLOWS} follows each. Service: WORKERS=2, pool 8 per worker, Redis; wrk "
        f"{CONNECTIONS} connections, {WARMUP} s warm-up, {DURATION} s measured. CPU: seconds "
        "each PostgreSQL node (postmaster and backends) used during the measured load and its "
        "warm-up.", "",
        "| Load | Setup | req/s | p99 ms | errors | CPU per node |",
        "|---|---|---:|---:|---:|---|",
        *rows, "",
    ]))  # fmt: skip
    print(f"report: {REPORT}")


if __name__ == "__main__":
    main()

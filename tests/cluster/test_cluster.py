"""The replicated database tier of `make cluster` (stack/cluster/), on real processes: etcd with
three members, three PostgreSQL nodes under Patroni with synchronous_mode, HAProxy's primary and
replica ports, PgBouncer. Started once for the module under a temporary directory on free
ports; every check is at the database level, through the ports an API instance would use. Run
with -s to see the figures (bootstrap time, failover gap, an etcd member lost under writes)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from stack import ROOT
from stack.cluster import Cluster, Node, Ports
from stack.cluster.patroni import failover_setting
from stack.processes import wait_until

PROBE_TABLE = "CREATE TABLE IF NOT EXISTS cluster_probe (id bigint PRIMARY KEY, note text NOT NULL)"
_ids = itertools.count(1)


@dataclass
class State:
    """What the tests of this module hand on: the rows they committed, the lost node."""

    committed: set[int] = field(default_factory=set)
    lost: Node | None = None


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    missing = [t for t in ("patroni", "etcd", "haproxy", "pgbouncer") if not shutil.which(t)]
    assert not missing, f"{missing} not installed: run `make install` (scripts/bootstrap.sh)"
    base = Path(tempfile.mkdtemp(prefix="gosocial-cluster-"))  # in /tmp: postgres can enter it
    c = Cluster(base, Ports.free(), pgbouncer=True, fast=True)
    failed_before = request.session.testsfailed
    started = time.monotonic()
    try:
        c.start(timeout=120, healthy=False)  # the deploy overlaps the replicas' copying
        up = time.monotonic() - started
        c.setup_database(seed=False)
        c.psql(PROBE_TABLE)
        deployed = time.monotonic() - started
        c.wait_healthy(90)
        print(
            f"\ncluster: etcd x3 + 3 Patroni nodes + HAProxy + PgBouncer: a leader in {up:.1f} s,"
            f" schema deployed at {deployed:.1f} s, healthy at {time.monotonic() - started:.1f} s"
        )
        yield c
    finally:
        left = c.stop()
        if request.session.testsfailed > failed_before:
            print(f"cluster logs kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    assert not left, f"processes still running after stop: {left}"


@pytest.fixture(scope="module")
def state() -> State:
    return State()


async def connect(port: int, user: str = "postgres") -> asyncpg.Connection:
    return await asyncpg.connect(
        host="127.0.0.1", port=port, user=user, database="gosocial", timeout=5
    )


async def fetch_ids(port: int, ids: set[int]) -> set[int]:
    conn = await connect(port)
    try:
        rows = await conn.fetch("SELECT id FROM cluster_probe WHERE id = ANY($1)", list(ids))
    finally:
        await conn.close()
    return {r["id"] for r in rows}


def present(port: int, ids: set[int]) -> set[int]:
    return asyncio.run(fetch_ids(port, ids))


def insert(port: int, count: int, note: str, user: str = "postgres") -> set[int]:
    """Insert `count` rows through `port`, one transaction each; the ids committed."""

    async def go() -> set[int]:
        conn = await connect(port, user)
        ids = set()
        try:
            for _ in range(count):
                row_id = next(_ids)
                await conn.execute(
                    "INSERT INTO cluster_probe (id, note) VALUES ($1, $2)", row_id, note
                )
                ids.add(row_id)
        finally:
            await conn.close()
        return ids

    return asyncio.run(go())


def test_writes_through_the_primary_port_land_on_every_node(healthy: Cluster, state: State) -> None:
    ids = insert(healthy.ports.primary, 20, "primary port")
    state.committed |= ids
    sync = healthy.patroni.sync_standby()
    # synchronous_mode: a commit acknowledged is flushed on the sync standby; applied soon after
    wait_until(lambda: present(sync.pg_port, ids) == ids, 5, "the rows on the sync standby")

    def has_rows(port: int) -> bool:
        return present(port, ids) == ids

    for node in healthy.nodes:
        wait_until(functools.partial(has_rows, node.pg_port), 10, f"the rows on {node.name}")

    async def app_login() -> tuple[str, int]:
        conn = await connect(healthy.ports.primary, user="gosocial")
        try:
            callable_functions = await conn.fetchval(
                "SELECT count(*) FROM pg_proc WHERE pronamespace = 'api'::regnamespace"
                " AND has_function_privilege(oid, 'EXECUTE')"
            )
            return await conn.fetchval("SELECT current_user"), callable_functions
        finally:
            await conn.close()

    user, callable_functions = asyncio.run(app_login())
    assert user == "gosocial" and callable_functions > 0, (user, callable_functions)
    # sqitch deployed every change of the plan through the primary port
    plan = (ROOT / "sqitch.plan").read_text().splitlines()
    planned = sum(1 for line in plan if line[:1].isalpha())
    assert healthy.psql("SELECT count(*) FROM sqitch.changes") == str(planned)


def test_the_replica_port_reads_and_refuses_writes(healthy: Cluster, state: State) -> None:
    async def go() -> tuple[set[int], set[int]]:
        servers, seen = set(), set()
        for _ in range(6):
            conn = await connect(healthy.ports.replicas)
            try:
                assert await conn.fetchval("SELECT pg_is_in_recovery()") is True
                servers.add(await conn.fetchval("SELECT inet_server_port()"))
                rows = await conn.fetch("SELECT id FROM cluster_probe")
                seen |= {r["id"] for r in rows}
                with pytest.raises(asyncpg.PostgresError) as refused:
                    await conn.execute("INSERT INTO cluster_probe VALUES (-1, 'refused')")
                assert refused.value.sqlstate == "25006", refused.value
            finally:
                await conn.close()
        return servers, seen

    servers, seen = asyncio.run(go())
    replicas = {n.pg_port for n in healthy.patroni.replicas()}
    assert servers == replicas, (servers, replicas)  # round robin over both replicas
    assert state.committed <= seen


def test_paused_replay_holds_a_replica_back_until_resumed(healthy: Cluster, state: State) -> None:
    replica = next(n for n in healthy.patroni.replicas() if n != healthy.patroni.sync_standby())
    replica.pause_replay()
    try:
        ids = insert(healthy.ports.primary, 5, "paused replay")
        state.committed |= ids
        time.sleep(0.5)
        assert present(replica.pg_port, ids) == set()  # received, not applied
        received_ahead = "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()"
        assert healthy.query(replica.pg_port, received_ahead) == "t"
    finally:
        replica.resume_replay()
    wait_until(lambda: present(replica.pg_port, ids) == ids, 10, "replay to catch up")


def test_pgbouncer_pools_transactions_to_the_primary(healthy: Cluster, state: State) -> None:
    assert healthy.pgbouncer is not None
    ids = insert(healthy.ports.pgbouncer, 10, "pgbouncer")
    state.committed |= ids
    assert present(healthy.ports.primary, ids) == ids
    assert healthy.query(healthy.ports.pgbouncer, "SHOW POOLS", database="pgbouncer") is not None


def test_reads_go_to_the_primary_when_no_replica_is_up(healthy: Cluster, state: State) -> None:
    replicas = healthy.patroni.replicas()
    port = healthy.ports.replicas
    try:
        for node in replicas:
            node.stop()
        # HAProxy marks them down within ~2 s (inter 1s fall 2); then reads reach the primary
        wait_until(
            lambda: healthy.query(port, "SELECT pg_is_in_recovery()") == "f",
            10,
            "the replica port to fall back to the primary",
        )
        rows = healthy.query(port, "SELECT count(*) FROM cluster_probe", database="gosocial")
        assert rows is not None and int(rows) >= len(state.committed)
    finally:
        for node in replicas:
            node.start()
    healthy.wait_healthy(60)


@dataclass
class Writer:
    """A client inserting a row every ~20 ms through a port, reconnecting after any error."""

    port: int
    acked: list[tuple[int, float]] = field(default_factory=list)  # (id, when committed)
    errors: list[tuple[float, str]] = field(default_factory=list)  # (when, SQLSTATE or type)
    stopping: bool = False
    struck: float = 0.0  # when the fault was inflicted

    async def run(self) -> None:
        conn: asyncpg.Connection | None = None
        while not self.stopping:
            row_id = next(_ids)  # every attempt its own id: a failed one may or may not be in
            try:
                if conn is None:
                    conn = await connect(self.port)
                await conn.execute(
                    "INSERT INTO cluster_probe (id, note) VALUES ($1, 'writer')", row_id, timeout=3
                )
                self.acked.append((row_id, time.monotonic()))
            except Exception as error:
                self.errors.append(
                    (time.monotonic(), getattr(error, "sqlstate", None) or type(error).__name__)
                )
                if conn is not None:
                    conn.terminate()
                    conn = None
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.02)
        if conn is not None:
            await conn.close()

    def acked_after(self, moment: float) -> list[float]:
        return [t for _, t in self.acked if t > moment]

    @property
    def ids(self) -> set[int]:
        return {i for i, _ in self.acked}


async def write_through(
    cluster: Cluster, inflict: Callable[[], float], seconds: float = 0.0
) -> Writer:
    """Run a writer on the primary port, `inflict` a fault once it is writing, and go on until
    20 more writes are acknowledged after the fault and `seconds` have passed."""
    writer = Writer(cluster.ports.primary)
    task = asyncio.create_task(writer.run())
    try:
        while len(writer.acked) < 20:
            assert not task.done(), task
            await asyncio.sleep(0.05)
        struck = writer.struck = await asyncio.to_thread(inflict)
        while len(writer.acked_after(struck)) < 20 or time.monotonic() - struck < seconds:
            assert time.monotonic() - struck < 60 + seconds, "no writes 60 s after the fault"
            await asyncio.sleep(0.05)
    finally:
        writer.stopping = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
    return writer


def report(what: str, writer: Writer) -> float:
    """Print and answer the gap: the longest pause between two acknowledged writes (the writer
    commits every ~20 ms otherwise; one in flight at the kill may still be acknowledged)."""
    times = [t for _, t in writer.acked]
    gap, resumed = max((b - a, b) for a, b in itertools.pairwise(times))
    refused = [e for t, e in writer.errors if t > writer.struck]
    print(
        f"\n{what}: no write acknowledged for {gap:.2f} s; writes again "
        f"{resumed - writer.struck:.2f} s after the kill; {len(writer.acked)} acknowledged, "
        f"{len(refused)} failed attempts ({', '.join(sorted(set(refused)))})"
    )
    return gap


def test_a_postmaster_killed_alone_is_restarted_in_place(healthy: Cluster, state: State) -> None:
    leader = healthy.patroni.leader()
    writer = asyncio.run(write_through(healthy, leader.kill_postmaster))
    gap = report("postmaster of the leader killed (-9) alone", writer)
    state.committed |= writer.ids
    healthy.wait_healthy(60)
    assert present(healthy.ports.primary, state.committed) == state.committed
    print(f"leader before {leader.name}, after {healthy.patroni.leader().name}; gap {gap:.2f} s")
    assert gap < 30


def test_losing_the_leaders_machine_promotes_the_sync_standby(
    healthy: Cluster, state: State
) -> None:
    leader, standby = healthy.patroni.leader(), healthy.patroni.sync_standby()
    writer = asyncio.run(write_through(healthy, leader.lose_machine))
    state.lost = leader
    gap = report(f"{leader.name}'s machine lost (Patroni and postmaster -9)", writer)
    assert healthy.patroni.leader() == standby  # the synchronous standby took over
    # Nothing committed is lost: every acknowledged write, this test's and the earlier ones'
    committed = state.committed | writer.ids
    missing = committed - present(healthy.ports.primary, committed)
    assert not missing, f"{len(missing)} committed rows lost: {sorted(missing)[:10]}"
    state.committed = committed
    assert gap < 30
    # The two survivors: one of them is the sync standby again
    wait_until(
        lambda: (
            {m.get("role") for m in healthy.patroni.members() if m["name"] != leader.name}
            == {"leader", "sync_standby"}
        ),
        30,
        "the remaining replica to become the sync standby",
    )


def test_the_lost_node_rejoins_as_a_replica(cluster: Cluster, state: State) -> None:
    lost = state.lost
    if lost is None:
        pytest.skip("the failover test did not lose a node")
    log_before = lost.patroni.log.stat().st_size
    lost.start()
    started = time.monotonic()
    cluster.wait_healthy(90)
    print(f"\n{lost.name} rejoined, cluster healthy, in {time.monotonic() - started:.1f} s")
    member = next(m for m in cluster.patroni.members() if m["name"] == lost.name)
    assert member["role"] in ("replica", "sync_standby"), member
    with lost.patroni.log.open("rb") as log:
        log.seek(log_before)
        rejoin_log = log.read().decode(errors="replace")
    # Its crash left WAL the new leader never had: pg_rewind takes it back to the divergence
    assert "pg_rewind exit code=0" in rejoin_log, rejoin_log[-3000:]
    wait_until(
        lambda: present(lost.pg_port, state.committed) == state.committed,
        10,
        f"every committed row on {lost.name}",
    )
    assert cluster.query(lost.pg_port, "SELECT pg_is_in_recovery()") == "t"


def test_losing_one_etcd_member_under_writes_costs_no_write(healthy: Cluster, state: State) -> None:
    """etcd's raft leader lost (SIGKILL) while a client writes through the primary port: the
    two members left elect a leader and keep the quorum, Patroni's leader renews its lock
    through them, and no write fails, for longer than the lock's TTL."""
    leader = healthy.patroni.leader()
    member = healthy.etcd.leader()  # its loss costs an election as well
    ttl = float(failover_setting("ttl"))
    try:
        writer = asyncio.run(write_through(healthy, member.lose, seconds=ttl + 2))
    finally:
        member.start()
    times = [t for _, t in writer.acked]
    gap = max(b - a for a, b in itertools.pairwise(times))
    after = writer.acked_after(writer.struck)
    print(
        f"\none etcd member of three lost ({member.name}, the raft leader) under writes: "
        f"{len(after)} writes acknowledged in the {after[-1] - writer.struck:.1f} s after, "
        f"{len(writer.errors)} failed; longest pause between two {gap:.2f} s; "
        f"Patroni's leader {leader.name} before, {healthy.patroni.leader().name} after"
    )
    assert writer.errors == [], writer.errors[:10]
    assert healthy.patroni.leader() == leader  # never stepped down
    state.committed |= writer.ids
    missing = state.committed - present(healthy.ports.primary, state.committed)
    assert not missing, f"{len(missing)} committed rows lost: {sorted(missing)[:10]}"
    started = time.monotonic()
    wait_until(healthy.etcd.ready, 30, f"{member.name} back in etcd's quorum")
    print(f"{member.name} rejoined etcd in {time.monotonic() - started:.1f} s")

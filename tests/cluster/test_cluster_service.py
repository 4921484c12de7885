"""The service of `make cluster` on real processes: two API instances behind HAProxy's API front,
over PostgreSQL replicated by Patroni (stack/cluster/), with Redis shared by the instances.

Started once for the module under a temporary directory on free ports (fsync off). Every check
goes through HTTP, as a client would: the front, or each instance by its own port. Users are
made in the database and their access tokens signed with the instances' key, so no mail is
involved. Run with -s to see the figures (failover gap, 503s, reads on the replicas).
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import bcrypt
import httpx
import jwt
import orjson
import pytest

from stack.cluster import Cluster, Node, Ports, api_serving
from stack.processes import Service, wait_until
from tests import leakcheck
from tests.helpers import access_claims, bearer
from tests.services import free_port

PAIRS = 200  # write-then-read pairs of the read-your-writes check
DELAY_MS = 300  # replay delay of one replica meanwhile (reads wait at most 50 ms for it)
OPS = ("ops", "ops-password-for-cluster-tests")
LIMITED = "/v1/swagger/openapi.json"  # a public route the rate limiter counts (probes it does not)
# The front's instances: no rate limit (the faults below post hundreds of times a second from
# one address); the limiter is checked on a pair of its own.
API_ENV = {
    "RATE_LIMIT_ENABLED": "false",
    # A cached user needs no primary: the reads go on through the etcd test's write outage.
    "CACHE_TTL": "600",
    "BASIC_AUTH_USERNAME": OPS[0],
    "BASIC_AUTH_PASSWORD": OPS[1],
}
_names = itertools.count(1)


@dataclass
class State:
    """What the tests of this module hand on: the posts acknowledged, the lost node."""

    acknowledged: set[int] = field(default_factory=set)
    lost: Node | None = None


@pytest.fixture(scope="module")
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    missing = [t for t in ("patroni", "etcd", "haproxy", "redis-server") if not shutil.which(t)]
    assert not missing, f"{missing} not installed: run `make install` (scripts/bootstrap.sh)"
    base = Path(tempfile.mkdtemp(prefix="gosocial-service-"))  # in /tmp: postgres can enter it
    c = Cluster(base, Ports.free(), pgbouncer=False, fast=True, api_instances=2, api_env=API_ENV)
    failed_before = request.session.testsfailed
    started = time.monotonic()
    try:
        c.start(timeout=120, healthy=False)  # the deploy overlaps the replicas' copying
        up = time.monotonic() - started
        c.setup_database(seed=False)
        deployed = time.monotonic() - started
        c.start_api()
        c.wait_healthy(90)
        leakcheck.remember(c.jwt_secret())
        print(
            f"\na leader in {up:.1f} s, schema deployed at {deployed:.1f} s, "
            f"two API instances behind {c.api_url()} at {time.monotonic() - started:.1f} s"
        )
        yield c
    finally:
        left = c.stop()
        # The instances' logs join the final grep for secrets (tests/leakcheck.py).
        logs = tmp_path_factory.mktemp("cluster-service")
        for log in base.glob("*/api.log"):
            shutil.copy(log, logs / f"{log.parent.name}.log")
        if request.session.testsfailed > failed_before:
            print(f"cluster logs kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    assert not left, f"processes still running after stop: {left}"


@pytest.fixture(scope="module")
def state() -> State:
    return State()


def make_users(cluster: Cluster, count: int, role: str | None = None) -> list[int]:
    """Active users made in the database (no mail), each optionally given `role`."""
    ids = []
    for _ in range(count):
        name = f"svc{next(_names)}"
        user_id = int(
            cluster.psql(
                "INSERT INTO social.users (username, email, password_hash, is_active) "
                f"VALUES ('{name}', '{name}@example.com', 'x', true) RETURNING id"
            )
        )
        if role:
            cluster.psql(f"SELECT api.set_user_role(p_user_id => {user_id}, p_role => '{role}')")
        ids.append(user_id)
    return ids


def token(cluster: Cluster, user_id: int) -> dict[str, str]:
    """An access token for `user_id`, signed with the instances' key."""
    value = jwt.encode(access_claims(user_id), cluster.jwt_secret(), algorithm="HS256")
    leakcheck.remember(value)
    return bearer(value)


def on_replica(cluster: Cluster) -> tuple[int, int]:
    """Reads served by a replica and by the primary so far, summed over the instances."""
    replica = primary = 0
    for port in cluster.ports.api_instances:
        r = httpx.get(f"http://127.0.0.1:{port}/v1/debug/vars", auth=OPS, timeout=10)
        assert r.status_code == 200, r.text
        reads = r.json()["reads"]
        replica, primary = replica + reads["on_replica"], primary + reads["on_primary"]
    return replica, primary


def serving(service: Service, port: int) -> bool:
    """Whether the instance answers on `port`; raise with its log when it has exited."""
    service.check()
    return api_serving(port)


def posts_present(port: int, cluster: Cluster, ids: set[int]) -> set[int]:
    """Which of the posts `ids` the server on `port` has."""
    if not ids:
        return set()
    listed = ",".join(str(i) for i in sorted(ids))
    out = cluster.query(port, f"SELECT id FROM social.posts WHERE id IN ({listed})", "gosocial")
    assert out is not None, f"cannot read the posts on port {port}"
    return {int(line) for line in out.split()}


def test_a_writer_reads_its_writes_with_replay_slowed_on_a_replica(
    healthy: Cluster, state: State
) -> None:
    (writer,) = make_users(healthy, 1)
    headers = token(healthy, writer)
    replica = next(n for n in healthy.patroni.replicas() if n != healthy.patroni.sync_standby())
    before = on_replica(healthy)
    replica.delay_replay(DELAY_MS)
    missed: list[tuple[int, str]] = []
    started = time.monotonic()
    try:
        with httpx.Client(base_url=healthy.api_url(), timeout=15) as client:
            for n in range(PAIRS):
                r = client.post(
                    "/v1/posts", json={"title": f"pair {n}", "content": "mine"}, headers=headers
                )
                assert r.status_code == 201, r.text
                post_id = r.json()["data"]["id"]
                state.acknowledged.add(post_id)
                mine = client.get(f"/v1/posts/{post_id}", headers=headers)
                if mine.status_code != 200:
                    missed.append((n, f"GET post: {mine.status_code}"))
                feed = client.get("/v1/users/feed?limit=1", headers=headers)
                first = feed.json()["data"][0]["id"] if feed.status_code == 200 else None
                if first != post_id:
                    missed.append((n, f"feed: {feed.status_code}, first {first}"))
    finally:
        replica.delay_replay(0)
    took = time.monotonic() - started
    after = on_replica(healthy)
    replica_reads, primary_reads = after[0] - before[0], after[1] - before[1]
    print(
        f"\nread-your-writes: {PAIRS} pairs through the front in {took:.1f} s with {replica.name}"
        f" replaying {DELAY_MS} ms late; {len(missed)} reads missed their write; reads on a "
        f"replica {replica_reads}, on the primary {primary_reads}"
    )
    assert not missed, missed[:10]
    assert replica_reads > 0, (before, after)  # the replicas do serve reads


def test_the_rate_limit_budget_is_shared_by_both_instances(healthy: Cluster) -> None:
    """Two instances with the limiter on (20 per 15 s window: long enough for 30 requests on a
    loaded machine), hit alternately on their own ports by one client: 20 requests pass in a
    window in total, not 20 at each."""
    window = 15
    limited = [
        healthy.api.service(
            f"limited{i}",
            free_port(),
            {"RATE_LIMIT_ENABLED": "true", "RATE_LIMIT_REQUESTS": "20", "RATE_LIMIT_WINDOW": "15"},
        )
        for i in (1, 2)
    ]
    ports = [int(s.env["PORT"]) for s in limited]
    try:
        for service in limited:
            service.start()
        for service, port in zip(limited, ports, strict=True):
            wait_until(functools.partial(serving, service, port), 30, service.name)
        # A client address of its own (the instances trust X-Forwarded-For, as behind HAProxy),
        # and all 30 requests inside one window: start just after a window begins.
        client_address = {"X-Forwarded-For": f"198.51.100.{next(_names) % 250 + 1}"}
        time.sleep(window - time.time() % window + 0.05)
        started = time.time()
        statuses: list[tuple[int, int, str | None]] = []
        with httpx.Client(timeout=5) as client:
            for n in range(30):
                port = ports[n % 2]
                r = client.get(f"http://127.0.0.1:{port}{LIMITED}", headers=client_address)
                statuses.append((port, r.status_code, r.headers.get("X-RateLimit-Remaining")))
        same_window = time.time() // window == started // window
        assert same_window, "the requests spilled into the next window"
        passed = [s for s in statuses if s[1] == 200]
        refused = [s for s in statuses if s[1] == 429]
        print(f"\nrate limit over two instances: {len(passed)} passed, {len(refused)} refused")
        assert len(passed) == 20 and len(refused) == 10, statuses
        assert {p for p, _, _ in passed} == set(ports)  # both instances spent the one budget
        assert [int(rest or -1) for _, _, rest in passed] == list(range(19, -1, -1)), statuses
    finally:
        for service in limited:
            service.stop()


def test_a_role_change_through_one_instance_is_seen_by_the_other_at_once(
    healthy: Cluster,
) -> None:
    (admin,) = make_users(healthy, 1, role="admin")
    user, other = make_users(healthy, 2)
    first, second = (f"http://127.0.0.1:{port}" for port in healthy.ports.api_instances)
    with httpx.Client(timeout=10) as client:
        # The second instance has the user in the shared cache, as a plain user: no email of
        # others (emails are shown to admins and to the user itself only).
        r = client.get(f"{second}/v1/users/{other}", headers=token(healthy, user))
        assert r.status_code == 200 and "email" not in r.json()["data"], r.text
        # An admin makes the user an admin through the first instance...
        r = client.put(
            f"{first}/v1/users/{user}/role", json={"role": "admin"}, headers=token(healthy, admin)
        )
        assert r.status_code == 200, r.text
        # ... and the second instance treats the user as an admin at once.
        r = client.get(f"{second}/v1/users/{other}", headers=token(healthy, user))
        assert r.status_code == 200 and "email" in r.json()["data"], r.text
        r = client.get(f"{second}/v1/users/me", headers=token(healthy, user))
        assert r.status_code == 200 and r.json()["data"]["role"]["name"] == "admin", r.text
        # Back to a plain user through the second instance, seen by the first at once.
        r = client.put(
            f"{second}/v1/users/{user}/role", json={"role": "user"}, headers=token(healthy, admin)
        )
        assert r.status_code == 200, r.text
        r = client.get(f"{first}/v1/users/{other}", headers=token(healthy, user))
        assert r.status_code == 200 and "email" not in r.json()["data"], r.text
        r = client.get(f"{first}/v1/users/me", headers=token(healthy, user))
        assert r.status_code == 200 and r.json()["data"]["role"]["name"] == "user", r.text


def test_a_deleted_user_gets_401_at_both_instances_at_once(healthy: Cluster) -> None:
    """DELETE /v1/users/me through one instance: neither instance lets its token in afterwards
    (the service drops the user's entry from the shared cache)."""
    (user,) = make_users(healthy, 1)
    password = "svc-delete-me-password"
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    healthy.psql(f"UPDATE social.users SET password_hash = '{hashed}' WHERE id = {user}")
    leakcheck.remember(password)
    headers = token(healthy, user)
    first, second = (f"http://127.0.0.1:{port}" for port in healthy.ports.api_instances)
    with httpx.Client(timeout=10) as client:
        for base in (first, second):  # cached by both paths
            r = client.get(f"{base}/v1/users/feed", headers=headers)
            assert r.status_code == 200, r.text
        r = client.request(
            "DELETE", f"{first}/v1/users/me", json={"password": password}, headers=headers
        )
        assert r.status_code == 204, r.text
        for base in (first, second):
            r = client.get(f"{base}/v1/users/feed", headers=headers)
            assert r.status_code == 401, r.text
    assert healthy.psql(f"SELECT count(*) FROM social.users WHERE id = {user}") == "0"


def test_reads_go_on_while_a_replica_is_stopped(healthy: Cluster, state: State) -> None:
    (reader,) = make_users(healthy, 1)
    headers = token(healthy, reader)
    post_id = max(state.acknowledged)
    replica = next(n for n in healthy.patroni.replicas() if n != healthy.patroni.sync_standby())
    statuses: list[int] = []
    with httpx.Client(base_url=healthy.api_url(), timeout=15) as client:

        def read_for(seconds: float) -> None:
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                for path in ("/v1/users/feed?limit=5", f"/v1/posts/{post_id}"):
                    statuses.append(client.get(path, headers=headers).status_code)

        read_for(1)
        stopping = threading.Thread(target=replica.stop)
        stopping.start()
        try:
            read_for(4)  # the stop, and HAProxy marking the replica down (within ~2 s)
        finally:
            stopping.join()
        read_for(1)
        replica.start()
        healthy.wait_healthy(60)
        read_for(1)
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"\nreads while {replica.name} stopped and started: {counts}")
    assert set(statuses) == {200}, counts


class OnAThread:
    """A client's loop (`run`, which returns once `_stop` is set) on a thread of its own while
    in `running()`."""

    _stop: threading.Event

    def run(self) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def running(self) -> Iterator[Self]:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join(30)


@dataclass
class Poster(OnAThread):
    """A client posting through the API front one post after another (a pause of 20 ms after a
    201, 50 ms after anything else), on a thread, until stopped."""

    url: str
    headers: dict[str, str]
    answers: list[tuple[float, int, int | None]] = field(default_factory=list)  # when, status, id
    struck: float = 0.0  # when the fault was inflicted
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=15) as client:
            for n in itertools.count():
                if self._stop.is_set():
                    return
                try:
                    r = client.post(
                        "/v1/posts", json={"title": f"post {n}", "content": "through"},
                        headers=self.headers,
                    )  # fmt: skip
                    status = r.status_code
                    post_id = r.json()["data"]["id"] if status == 201 else None
                except httpx.HTTPError:
                    status, post_id = 0, None  # no answer at all
                self.answers.append((time.monotonic(), status, post_id))
                time.sleep(0.02 if status == 201 else 0.05)

    def created_after(self, moment: float) -> int:
        return sum(1 for t, status, _ in self.answers if status == 201 and t > moment)

    def wait_created(self, count: int, after: float = 0.0, timeout: float = 60) -> None:
        wait_until(lambda: self.created_after(after) >= count, timeout, f"{count} posts")

    @property
    def ids(self) -> set[int]:
        return {i for _, _, i in self.answers if i is not None}

    def report(self, what: str) -> dict[str, float]:
        """Print and answer the figures: the gap (the longest pause between two 201s), the
        span of the 503s, and the answers by status after the fault."""
        created = [t for t, status, _ in self.answers if status == 201]
        gap = max(b - a for a, b in itertools.pairwise(created))
        after = [(t, status) for t, status, _ in self.answers if t > self.struck]
        unavailable = [t for t, status in after if status == 503]
        span = unavailable[-1] - unavailable[0] if unavailable else 0.0
        counts = {s: sum(1 for _, status in after if status == s) for s in {s for _, s in after}}
        print(
            f"\n{what}: no post created for {gap:.2f} s; 503s for {span:.2f} s; answers after "
            f"the fault by status {dict(sorted(counts.items()))}; {len(created)} created in all"
        )
        return {"gap": gap, "span": span, **{str(s): n for s, n in counts.items()}}


def test_a_postmaster_killed_alone_answers_503_never_500(healthy: Cluster, state: State) -> None:
    (writer,) = make_users(healthy, 1)
    leader = healthy.patroni.leader()
    pids = [s.pid for s in healthy.apis]
    with Poster(healthy.api_url(), token(healthy, writer)).running() as poster:
        poster.wait_created(20)
        poster.struck = leader.kill_postmaster()
        poster.wait_created(20, after=poster.struck)
    figures = poster.report(f"postmaster of the leader ({leader.name}) killed alone")
    state.acknowledged |= poster.ids
    statuses = {status for t, status, _ in poster.answers}
    assert statuses <= {201, 503}, figures  # no 500, and always an answer
    assert [s.pid for s in healthy.apis] == pids and all(s.running() for s in healthy.apis)
    healthy.wait_healthy(60)
    assert posts_present(healthy.ports.primary, healthy, poster.ids) == poster.ids


def test_losing_the_leaders_machine_answers_503_then_writes_again(
    healthy: Cluster, state: State
) -> None:
    (writer,) = make_users(healthy, 1)
    leader, standby = healthy.patroni.leader(), healthy.patroni.sync_standby()
    pids = [s.pid for s in healthy.apis]
    with Poster(healthy.api_url(), token(healthy, writer)).running() as poster:
        poster.wait_created(20)
        poster.struck = leader.lose_machine()
        state.lost = leader
        poster.wait_created(20, after=poster.struck, timeout=90)
    figures = poster.report(f"{leader.name}'s machine lost (Patroni and postmaster -9)")
    statuses = {status for t, status, _ in poster.answers}
    assert statuses <= {201, 503}, figures  # no 500, and always an answer
    assert figures.get("503", 0) > 0, figures  # the gap is answered, not left hanging
    assert healthy.patroni.leader() == standby  # the synchronous standby took over
    # Writes resumed on the same processes, without a restart.
    assert [s.pid for s in healthy.apis] == pids and all(s.running() for s in healthy.apis)
    # Every post that got a 201, here and earlier in the module, is on the new leader.
    state.acknowledged |= poster.ids
    missing = state.acknowledged - posts_present(healthy.ports.primary, healthy, state.acknowledged)
    assert not missing, f"{len(missing)} acknowledged posts lost: {sorted(missing)[:10]}"
    assert figures["gap"] < 30


def log_lines(cluster: Cluster) -> list[dict[str, object]]:
    """Every line the front's instances logged, non-JSON ones (a traceback) as error lines."""
    lines: list[dict[str, object]] = []
    for service in cluster.apis:
        for text in service.log.read_text(errors="replace").splitlines():
            try:
                line = orjson.loads(text)
            except orjson.JSONDecodeError:
                line = None
            lines.append(line if isinstance(line, dict) else {"level": "error", "message": text})
    return lines


def test_the_lost_node_rejoins_and_the_service_goes_on(cluster: Cluster, state: State) -> None:
    lost = state.lost
    if lost is None:
        pytest.skip("the failover test did not lose a node")
    lost.start()
    started = time.monotonic()
    cluster.wait_healthy(90)
    print(f"\n{lost.name} rejoined, cluster healthy, in {time.monotonic() - started:.1f} s")
    member = next(m for m in cluster.patroni.members() if m["name"] == lost.name)
    assert member["role"] in ("replica", "sync_standby"), member
    wait_until(
        lambda: posts_present(lost.pg_port, cluster, state.acknowledged) == state.acknowledged,
        10,
        f"every acknowledged post on {lost.name}",
    )
    (writer,) = make_users(cluster, 1)
    with httpx.Client(base_url=cluster.api_url(), timeout=15) as client:
        r = client.post(
            "/v1/posts",
            json={"title": "after", "content": "it all"},
            headers=token(cluster, writer),
        )
        assert r.status_code == 201, r.text
        post_id = r.json()["data"]["id"]
        r = client.get(f"/v1/posts/{post_id}", headers=token(cluster, writer))
        assert r.status_code == 200, r.text


def test_a_queued_fan_out_is_drained_after_the_faults(healthy: Cluster) -> None:
    """Past fanout_inline_limit followers a post is queued, and an instance's drainer (on a
    connection of its own, which the faults above cut) copies it into the timelines."""
    author, *followers = make_users(healthy, 3)
    for follower in followers:
        healthy.psql(
            f"INSERT INTO social.followers (user_id, follower_id) VALUES ({author}, {follower})"
        )
    limit = healthy.psql("SELECT fanout_inline_limit FROM social.feed_settings")
    healthy.psql("UPDATE social.feed_settings SET fanout_inline_limit = 1")
    try:
        with httpx.Client(base_url=healthy.api_url(), timeout=15) as client:
            r = client.post(
                "/v1/posts", json={"title": "for many", "content": "queued"},
                headers=token(healthy, author),
            )  # fmt: skip
            assert r.status_code == 201, r.text
            post_id = r.json()["data"]["id"]
            for follower in followers:  # at once, whichever instance answers
                r = client.get("/v1/users/feed?limit=1", headers=token(healthy, follower))
                assert r.status_code == 200 and r.json()["data"][0]["id"] == post_id, r.text
        copied = f"SELECT count(*) FROM social.timeline WHERE post_id = {post_id}"
        wait_until(lambda: healthy.psql(copied) == str(1 + len(followers)), 10, "the queued copy")
        assert healthy.psql("SELECT count(*) FROM social.fanout_queue") == "0"
    finally:
        healthy.psql(f"UPDATE social.feed_settings SET fanout_inline_limit = {limit}")


@dataclass
class Reader(OnAThread):
    """A client reading a post and its feed through the API front, one request after another,
    on a thread, until stopped."""

    url: str
    headers: dict[str, str]
    post_id: int
    answers: list[tuple[float, int]] = field(default_factory=list)  # when, status
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        paths = itertools.cycle((f"/v1/posts/{self.post_id}", "/v1/users/feed?limit=5"))
        with httpx.Client(base_url=self.url, timeout=15) as client:
            for path in paths:
                if self._stop.is_set():
                    return
                try:
                    status = client.get(path, headers=self.headers).status_code
                except httpx.HTTPError:
                    status = 0
                self.answers.append((time.monotonic(), status))
                time.sleep(0.02)


def test_losing_two_etcd_members_steps_the_leader_down_until_they_return(
    healthy: Cluster, state: State
) -> None:
    """Two etcd members of three lost (SIGKILL): no quorum, so Patroni's leader cannot renew
    its lock and demotes itself after retry_timeout (config/patroni.yml): writes answer 503,
    never 500, while reads go on on the replicas. When the members return, a leader is elected
    again by itself, and nothing acknowledged is lost."""
    writer, reader = make_users(healthy, 2)
    post_id = max(state.acknowledged)
    lost = healthy.etcd.members[:2]
    pids = [s.pid for s in healthy.apis]
    poster = Poster(healthy.api_url(), token(healthy, writer))
    reads = Reader(healthy.api_url(), token(healthy, reader), post_id)
    with poster.running(), reads.running():
        poster.wait_created(20)
        wait_until(lambda: len(reads.answers) > 20, 30, "the reader's first answers")
        poster.struck = time.monotonic()
        for member in lost:
            member.lose()

        def refused() -> list[float]:
            return [t for t, status, _ in poster.answers if status == 503 and t > poster.struck]

        try:
            wait_until(lambda: len(refused()) >= 20, 60, "writes refused with 503")
        finally:
            returned = time.monotonic()
            for member in lost:
                member.start()
        poster.wait_created(20, after=returned, timeout=90)
    after = [(t, status) for t, status, _ in poster.answers if t > poster.struck]
    created = [t for t, status in after if status == 201]
    first_refused = refused()[0]
    resumed = next(t for t in created if t > returned)
    write_counts = collections.Counter(status for _, status in after)
    during = [status for t, status in reads.answers if first_refused <= t <= resumed]
    read_counts = collections.Counter(status for _, status in reads.answers)
    print(
        f"\ntwo etcd members of three lost: first 503 {first_refused - poster.struck:.1f} s "
        f"after the loss ({sum(1 for t in created if t < first_refused)} posts created "
        f"meanwhile); members back after {returned - poster.struck:.1f} s; writes again "
        f"{resumed - returned:.1f} s later; writes refused for {resumed - first_refused:.1f} s; "
        f"answers to writes after the loss {dict(sorted(write_counts.items()))}; reads "
        f"{dict(sorted(read_counts.items()))} ({len(during)} while writes were refused)"
    )
    assert set(write_counts) <= {201, 503}, write_counts  # no 500, and always an answer
    assert set(read_counts) == {200}, read_counts  # reads went on throughout
    assert len(during) > 0
    assert [s.pid for s in healthy.apis] == pids and all(s.running() for s in healthy.apis)
    wait_until(healthy.etcd.ready, 30, "etcd's quorum")
    healthy.wait_healthy(60)
    state.acknowledged |= poster.ids
    missing = state.acknowledged - posts_present(healthy.ports.primary, healthy, state.acknowledged)
    assert not missing, f"{len(missing)} acknowledged posts lost: {sorted(missing)[:10]}"


def test_nothing_unexpected_in_the_instances_logs(cluster: Cluster) -> None:
    """Through every fault of the module, no error line (a 500, a background task that died):
    only warnings of unavailability, counted here."""
    lines = log_lines(cluster)
    errors = [line for line in lines if line.get("level") in ("error", "critical")]
    warnings = collections.Counter(
        str(line.get("message"))[:70] for line in lines if line.get("level") == "warning"
    )
    print("\nwarnings of the instances:", dict(warnings.most_common()))
    assert not errors, errors[:5]

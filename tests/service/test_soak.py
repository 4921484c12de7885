"""Soak: a bounded mixed workload against a server of its own with WORKERS=2, rate limit off.

SOAK_SECONDS long (10 in `make test`, 60 in `make soak`). Stated bounds, checked after warm-up
(the first WARMUP_SHARE of the run, at least 3 s):

- no response is a 5xx, and every response is one the contract allows for that operation;
- PostgreSQL connections of the server (its own login role) never exceed WORKERS x DB_POOL_MAX
  at any sample, and after warm-up never exceed the warm-up peak by more than CONN_SLACK;
- the resident memory of the server's processes (main and workers, VmRSS) at the end is at most
  RSS_SLACK_MB above its level at the end of warm-up;
- every acknowledged write (posts and comments answered 201, edits answered 200, deletes
  answered 204) is in the database afterwards as acknowledged.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import testing.postgresql

from tests import leakcheck
from tests.helpers import Account, Database, app_login
from tests.services import api

# Minutes on a loaded machine: make test starts these modules first (tests/conftest.py).
pytestmark = pytest.mark.slow

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "10"))
WORKERS = 2
DB_POOL_MAX = 10
THREADS = 8
WARMUP_SHARE = 0.3
CONN_SLACK = 2
RSS_SLACK_MB = 48
SOAK_ROLE = "gosocial_soak"  # its own login role: its connections are countable apart


@dataclass
class Soak:
    url: str
    marker: str
    log: Path


@pytest.fixture(scope="module")
def soak_server(
    service_env: dict[str, str], postgresql: testing.postgresql.Postgresql, tmp_path_factory
) -> Iterator[Soak]:
    marker = uuid.uuid4().hex
    env = {
        **service_env,
        "DATABASE_URL": app_login(postgresql, SOAK_ROLE),
        "WORKERS": str(WORKERS),
        "DB_POOL_MAX": str(DB_POOL_MAX),
        "RATE_LIMIT_ENABLED": "false",
        "GOSOCIAL_SOAK_MARKER": marker,  # inherited by the workers: finds the processes
    }
    log = tmp_path_factory.mktemp("soak") / "api.log"
    leakcheck.add_log(log)
    with api(env, log) as server:
        yield Soak(server.url, marker, log)


def server_pids(marker: str) -> list[int]:
    needle = f"GOSOCIAL_SOAK_MARKER={marker}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
        except OSError:  # gone, or not ours to read
            continue
    return pids


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def connections(db: Database) -> int:
    return db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", SOAK_ROLE)


@dataclass
class Ledger:
    """What the server acknowledged, and every answer it gave."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    posts: dict[int, tuple[str, int]] = field(default_factory=dict)  # id: (title, version)
    deleted: set[int] = field(default_factory=set)
    comments: dict[int, int] = field(default_factory=dict)  # id: post id
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)


EXPECTED = {
    "profile": {200},
    "feed": {200},
    "get_post": {200},
    "comments": {200},
    "create_post": {201},
    "comment": {201},
    "edit": {200},
    "delete": {204},
    "follow": {204, 409},
    "unfollow": {204},
    "login": {200},
    "refresh": {200},
    "health": {200},
}


class Worker(threading.Thread):
    def __init__(
        self, url: str, me: Account, others: list[Account], ledger: Ledger, until: float, seed: int
    ) -> None:
        super().__init__(daemon=True)
        self.url, self.me, self.others, self.ledger, self.until = url, me, others, ledger, until
        self.rng = random.Random(seed)
        self.access, self.refresh = me.access_token, me.refresh_token
        self.mine: dict[int, int] = {}  # my live posts: id -> version
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with httpx.Client(
                base_url=self.url, timeout=30, event_hooks={"response": [leakcheck.watch]}
            ) as c:
                while time.monotonic() < self.until:
                    self.step(c)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def record(self, op: str, r: httpx.Response) -> httpx.Response:
        with self.ledger.lock:
            self.ledger.answers[(op, r.status_code)] += 1
            if r.status_code not in EXPECTED[op]:
                self.ledger.unexpected.append(f"{op} {r.request.url} -> {r.status_code} {r.text}")
        return r

    def step(self, c: httpx.Client) -> None:
        rng, h = self.rng, {"Authorization": f"Bearer {self.access}"}
        other = rng.choice(self.others)
        op = rng.choices(
            list(EXPECTED),
            weights=[12, 14, 8, 6, 6, 8, 4, 1, 2, 2, 1, 1, 1],
        )[0]
        post_id = rng.choice(list(self.mine)) if self.mine else None
        if op == "profile":
            self.record(op, c.get(f"/v1/users/{rng.choice([self.me, other]).id}", headers=h))
        elif op == "feed":
            params = rng.choice(
                [{}, {"limit": 5, "sort": "asc"}, {"tags": "soak"}, {"search": "load"}]
            )
            self.record(op, c.get("/v1/users/feed", params=params, headers=h))
        elif op in ("get_post", "comments", "comment", "edit", "delete") and post_id is None:
            op = "create_post"
        if op == "create_post":
            title = f"load {uuid.uuid4().hex[:8]}"
            r = self.record(
                op,
                c.post(
                    "/v1/posts", json={"title": title, "content": "x", "tags": ["soak"]}, headers=h
                ),
            )
            if r.status_code == 201:
                body = r.json()["data"]
                self.mine[body["id"]] = 1
                with self.ledger.lock:
                    self.ledger.posts[body["id"]] = (title, 1)
        elif op == "get_post":
            self.record(op, c.get(f"/v1/posts/{post_id}", headers=h))
        elif op == "comments":
            self.record(op, c.get(f"/v1/posts/{post_id}/comments", headers=h))
        elif op == "comment":
            r = self.record(
                op, c.post(f"/v1/posts/{post_id}/comments", json={"content": "hi"}, headers=h)
            )
            if r.status_code == 201:
                with self.ledger.lock:
                    self.ledger.comments[r.json()["data"]["id"]] = post_id
        elif op == "edit":
            title = f"edited {uuid.uuid4().hex[:8]}"
            r = self.record(
                op,
                c.patch(
                    f"/v1/posts/{post_id}",
                    json={"title": title, "version": self.mine[post_id]},
                    headers=h,
                ),
            )
            if r.status_code == 200:
                version = r.json()["data"]["version"]
                self.mine[post_id] = version
                with self.ledger.lock:
                    self.ledger.posts[post_id] = (title, version)
        elif op == "delete":
            r = self.record(op, c.delete(f"/v1/posts/{post_id}", headers=h))
            if r.status_code == 204:
                del self.mine[post_id]
                with self.ledger.lock:
                    self.ledger.deleted.add(post_id)
                    self.ledger.posts.pop(post_id, None)
                    for cid in [k for k, v in self.ledger.comments.items() if v == post_id]:
                        del self.ledger.comments[cid]
        elif op == "follow":
            self.record(op, c.put(f"/v1/users/{other.id}/follow", headers=h))
        elif op == "unfollow":
            self.record(op, c.put(f"/v1/users/{other.id}/unfollow", headers=h))
        elif op == "login":
            r = self.record(
                op,
                c.post(
                    "/v1/auth/login", json={"email": self.me.email, "password": self.me.password}
                ),
            )
            if r.status_code == 200:
                self.access = r.json()["data"]["access_token"]
        elif op == "refresh":
            r = self.record(op, c.post("/v1/auth/refresh", json={"refresh_token": self.refresh}))
            if r.status_code == 200:
                pair = r.json()["data"]
                self.access, self.refresh = pair["access_token"], pair["refresh_token"]
        elif op == "health":
            self.record(op, c.get("/v1/health", auth=("admin", "admin")))


def test_soak_mixed_workload(soak_server: Soak, make_account, db: Database) -> None:
    accounts: list[Account] = [make_account(prefix="soak") for _ in range(THREADS)]
    pids = server_pids(soak_server.marker)
    assert len(pids) >= 1 + WORKERS, pids  # the main process and its workers

    ledger = Ledger()
    started = time.monotonic()
    until = started + SOAK_SECONDS
    warmup_end = started + max(3.0, SOAK_SECONDS * WARMUP_SHARE)
    workers = [
        Worker(soak_server.url, me, [a for a in accounts if a is not me], ledger, until, seed=i)
        for i, me in enumerate(accounts)
    ]
    for w in workers:
        w.start()

    samples: list[tuple[float, float, int]] = []  # (time since start, RSS MiB, connections)
    while any(w.is_alive() for w in workers):
        samples.append((time.monotonic() - started, rss_mb(pids), connections(db)))
        time.sleep(0.5)
    for w in workers:
        w.join(30)
        assert w.error is None, repr(w.error)
    samples.append((time.monotonic() - started, rss_mb(pids), connections(db)))

    # Zero 5xx, and nothing the contract does not allow for each operation.
    answers = dict(ledger.answers)
    assert not [k for k in answers if k[1] >= 500], answers
    assert not ledger.unexpected, ledger.unexpected[:10]
    total = sum(answers.values())
    assert total >= SOAK_SECONDS * 20, f"only {total} requests in {SOAK_SECONDS} s: {answers}"

    # Bounded connections and memory after warm-up.
    warm = [s for s in samples if s[0] <= warmup_end - started]
    after = [s for s in samples if s[0] > warmup_end - started]
    assert warm and after, samples
    ceiling = WORKERS * DB_POOL_MAX
    assert max(s[2] for s in samples) <= ceiling, samples
    assert max(s[2] for s in after) <= max(s[2] for s in warm) + CONN_SLACK, samples
    rss_warm, rss_end = warm[-1][1], samples[-1][1]
    assert rss_end <= rss_warm + RSS_SLACK_MB, (rss_warm, rss_end, samples)

    # Every acknowledged write is there, as acknowledged.
    rows = {
        r["id"]: (r["title"], r["version"])
        for r in db.fetch(
            "SELECT id, title, version FROM social.posts WHERE id = ANY($1)",
            list(ledger.posts) + list(ledger.deleted),
        )
    }
    assert {pid: rows.get(pid) for pid in ledger.posts} == ledger.posts
    assert not set(rows) & ledger.deleted
    stored = {
        r["id"]
        for r in db.fetch(
            "SELECT id FROM social.comments WHERE id = ANY($1)", list(ledger.comments)
        )
    }
    assert stored == set(ledger.comments)
    assert ledger.posts and ledger.comments

    print(  # shown with -s or on failure: the figures behind the bounds
        f"\nsoak {SOAK_SECONDS:.0f}s: {total} requests, {len(ledger.posts)} posts, "
        f"{len(ledger.comments)} comments; RSS {rss_warm:.1f} -> {rss_end:.1f} MiB; "
        f"connections max {max(s[2] for s in samples)} (ceiling {ceiling})"
    )

"""The benchmark run behind `make bench` (started by bench/run.sh once PostgreSQL is up).

Starts Redis, the ceilings (bench/ceiling_app.py, pgbench on the same api.* functions), the
service (`python -m api`) and the peer (PostgREST) one after the other on loopback ports, drives
each scenario with wrk (bench/lua/) for a fixed duration after a warm-up, and writes
bench/REPORT.md with every figure of this run next to its ceiling. Raw outputs go to
bench/results/<timestamp>/.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import bcrypt
import jwt
import orjson
from report import write_report

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "lua"
PGBENCH = BENCH / "pgbench"
RESULTS = BENCH / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"

LOGIN_PASSWORD = "bench-login-password"
LOGIN_USERS = 8
BCRYPT_COST = 12
FILTER_QUERY = "?tags=python&search=cache"  # must match bench/pgbench/feed_filtered.sql


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


@dataclass(frozen=True)
class Dataset:
    db: str
    users: int
    posts: int
    follows: int


@dataclass
class Config:
    duration: int = env_int("BENCH_DURATION", 10)
    warmup: int = env_int("BENCH_WARMUP", 2)
    workers: int = env_int("WORKERS", 2)
    connections: int = env_int("BENCH_CONNECTIONS", 32)
    threads: int = env_int("BENCH_THREADS", 2)
    db_pool: int = env_int("BENCH_DB_POOL", 8)
    login_connections: int = env_int("BENCH_LOGIN_CONNECTIONS", 8)
    tokens: int = env_int("BENCH_TOKENS", 10000)
    hot: int = env_int("BENCH_HOT", 1000)
    pg_port: int = env_int("BENCH_PG_PORT", 55499)
    redis_port: int = env_int("BENCH_REDIS_PORT", 56399)
    service_port: int = env_int("BENCH_SERVICE_PORT", 18080)
    ceiling_port: int = env_int("BENCH_CEILING_PORT", 18090)
    postgrest_port: int = env_int("BENCH_POSTGREST_PORT", 18100)
    postgrest: str = os.environ.get("BENCH_POSTGREST", "")
    pg_settings: str = os.environ.get("BENCH_PG_SETTINGS", "")
    only: frozenset[str] = frozenset(
        s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()
    )
    report: Path = Path(os.environ.get("BENCH_REPORT", str(BENCH / "REPORT.md")))
    datasets: list[Dataset] = field(default_factory=list)

    def __post_init__(self) -> None:
        for spec in os.environ.get("BENCH_DATASETS", "gosocial:100000:1000000:50").split():
            db, users, posts, follows = spec.split(":")
            self.datasets.append(Dataset(db, int(users), int(posts), int(follows)))

    @property
    def main(self) -> Dataset:
        return self.datasets[0]

    @property
    def pgbench_clients(self) -> int:
        # The same number of server connections the service's pools hold.
        return self.workers * self.db_pool

    def wanted(self, scenario: str) -> bool:
        return not self.only or scenario in self.only

    def db_url(self, db: str, user: str = "gosocial") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.pg_port}/{db}"


@dataclass
class Result:
    """One measured load: requests/s and latency in milliseconds."""

    rps: float
    p50: float
    p99: float
    requests: int
    errors: int
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


@dataclass
class Scenario:
    """A wrk load on the service: `env` configures the Lua script (bench/lua/)."""

    id: str
    title: str
    ceiling: str
    env: dict[str, str]
    note: str = ""
    script: str = "request.lua"
    warmup: bool = True


@dataclass
class Row:
    id: str
    title: str
    result: Result | None
    ceiling: str | None = None  # id of the row it is compared to
    note: str = ""


class Run:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.started = datetime.now(UTC)
        self.dir = RESULTS / self.started.strftime("%Y%m%dT%H%M%SZ")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data = self.dir / "data"
        self.data.mkdir()
        self.rows: dict[str, Row] = {}
        self.secret = secrets.token_urlsafe(36)
        self.explains: list[tuple[str, str]] = []
        self.facts: dict[str, str] = {}
        self.load: list[str] = []
        self.procs: list[subprocess.Popen[bytes]] = []
        self.tokens: dict[str, list[tuple[int, str]]] = {}
        self.first_pgbench_post = 0
        self.user_json = b"{}"

    # -- processes ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def process(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        port: int,
        *,
        probe: str | None = None,
        workers: int = 0,
    ) -> Iterator[None]:
        """Start a server in its own process group and wait until it serves: its port is open,
        `probe` (an HTTP path) gets an answer below 500, and `workers` Sanic workers said they
        are ready. Stop the whole group afterwards."""
        if port_open(port):
            raise SystemExit(f"port {port} is taken: set the BENCH_*_PORT variables")
        log_path = self.dir / f"{name}.log"
        log = log_path.open("wb")
        proc = subprocess.Popen(
            argv,
            env={**os.environ, **env},
            cwd=self.dir,  # no stray .env from the work tree
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append(proc)
        try:
            deadline = time.monotonic() + 90
            while not (
                port_open(port)
                and (probe is None or http_status(port, probe) in range(100, 500))
                and log_path.read_bytes().count(b"Worker ready") >= workers
            ):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{name} did not start: see {log_path}")
                time.sleep(0.2)
            yield
        finally:
            stop_group(proc)
            self.procs.remove(proc)
            log.close()

    @contextlib.contextmanager
    def service(
        self,
        name: str,
        db: str,
        redis_db: int | None,
        **extra: str,
    ) -> Iterator[None]:
        env = {
            "HOST": "127.0.0.1",
            "PORT": str(self.cfg.service_port),
            "WORKERS": str(self.cfg.workers),
            "ENV": "development",
            "DATABASE_URL": self.cfg.db_url(db),
            "DB_POOL_MIN": str(self.cfg.db_pool),
            "DB_POOL_MAX": str(self.cfg.db_pool),
            "REDIS_URL": ""
            if redis_db is None
            else f"redis://127.0.0.1:{self.cfg.redis_port}/{redis_db}",
            "CACHE_TTL": "3600",  # the cache stays warm for the whole run
            "RATE_LIMIT_ENABLED": "false",
            "MAILER": "console",
            "JWT_SECRET": self.secret,
            "BCRYPT_COST": str(BCRYPT_COST),
            "PYTHONPATH": str(ROOT),
            **extra,
        }
        with self.process(
            name,
            [str(PYTHON), "-m", "api"],
            env,
            self.cfg.service_port,
            probe="/v1/users/1",
            workers=self.cfg.workers,
        ):
            yield

    # -- load generators ---------------------------------------------------------------------

    def wrk(
        self,
        name: str,
        port: int,
        script: str,
        env: dict[str, str],
        *,
        connections: int | None = None,
        threads: int | None = None,
        warmup: bool = True,
        background: bool = False,
    ) -> Result | subprocess.Popen[bytes]:
        connections = connections or self.cfg.connections
        threads = min(threads or self.cfg.threads, connections)
        url = f"http://127.0.0.1:{port}"
        base_env = {
            **os.environ,
            "BENCH_LUA": str(LUA),
            "BENCH_DATA": str(self.data),
            "BENCH_THREADS": str(threads),
            **env,
        }
        argv = ["wrk", "-t", str(threads), "-c", str(connections), "--latency", "--timeout", "10s"]
        script_path = str(LUA / script)
        if warmup and self.cfg.warmup > 0:
            subprocess.run(
                [*argv, "-d", f"{self.cfg.warmup}s", "-s", script_path, url],
                env={**base_env, "BENCH_OUT": str(self.dir / f"{name}.warmup.json")},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        out = self.dir / f"{name}.json"
        with (self.dir / f"{name}.wrk.txt").open("wb") as text:
            proc = subprocess.Popen(
                [*argv, "-d", f"{self.cfg.duration}s", "-s", script_path, url],
                env={**base_env, "BENCH_OUT": str(out)},
                stdout=text,
                stderr=subprocess.STDOUT,
            )
        proc.bench_out = out  # type: ignore[attr-defined]
        if background:
            return proc
        return self.wrk_result(proc)

    def wrk_result(self, proc: subprocess.Popen[bytes]) -> Result:
        if proc.wait() != 0:
            raise SystemExit(f"wrk failed: {proc.args}")
        summary = json.loads(proc.bench_out.read_text())  # type: ignore[attr-defined]
        latency = summary["latency_us"]
        errors = sum(summary["errors"].values())
        counters = summary.get("counters") or {}
        detail = ", ".join(f"{k} {v}" for k, v in counters.items())
        return Result(
            rps=summary["requests"] / (summary["duration_us"] / 1e6),
            p50=latency["p50"] / 1000,
            p99=latency["p99"] / 1000,
            requests=summary["requests"],
            errors=errors,
            detail=detail,
        )

    def pgbench(
        self, name: str, script: str, dataset: Dataset, *, user: str = "gosocial", **defines: int
    ) -> Result:
        defines = {"users": dataset.users, "posts": dataset.posts, **defines}
        clients = self.cfg.pgbench_clients
        argv = [
            "pgbench",
            "-n",
            "-M",
            "prepared",
            "-c",
            str(clients),
            "-j",
            str(min(2, clients)),
            "-f",
            str(PGBENCH / script),
        ]
        for key, value in defines.items():
            argv += ["-D", f"{key}={value}"]
        url = self.cfg.db_url(dataset.db, user)
        if self.cfg.warmup > 0:
            subprocess.run(
                [*argv, "-T", str(self.cfg.warmup), url],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        logs = self.dir / f"{name}.pgbench"
        logs.mkdir()
        done = subprocess.run(
            [*argv, "-T", str(self.cfg.duration), "-l", "--log-prefix", str(logs / "tx"), url],
            check=True,
            capture_output=True,
            text=True,
        )
        (self.dir / f"{name}.pgbench.txt").write_text(done.stdout + done.stderr)
        latencies = []
        for path in logs.iterdir():
            for line in path.read_text().splitlines():
                latencies.append(int(line.split()[2]))
        shutil.rmtree(logs)
        failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
        tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
        if not tps or not latencies:
            raise SystemExit(f"pgbench {name}: no result\n{done.stdout}{done.stderr}")
        latencies.sort()
        return Result(
            rps=float(tps[1]),
            p50=percentile(latencies, 50) / 1000,
            p99=percentile(latencies, 99) / 1000,
            requests=len(latencies),
            errors=int(failed[1]) if failed else 0,
        )

    # -- bookkeeping -------------------------------------------------------------------------

    def record(self, row: Row) -> None:
        self.rows[row.id] = row
        r = row.result
        if r is None:
            print(f"  {row.title}: skipped ({row.note})", flush=True)
            return
        print(
            f"  {row.title}: {r.rps:,.0f} req/s, p50 {r.p50:.2f} ms, p99 {r.p99:.2f} ms"
            + (f", {r.errors} errors" if r.errors else "")
            + (f" ({r.detail})" if r.detail else ""),
            flush=True,
        )
        with (self.dir / "results.jsonl").open("a") as f:
            f.write(json.dumps({"id": row.id, "title": row.title, **r.as_dict()}) + "\n")

    def sample_load(self, when: str) -> None:
        one, five, _ = os.getloadavg()
        self.load.append(f"{when}: load average {one:.2f} (1 min), {five:.2f} (5 min)")

    def sql(self, db: str, query: str, user: str = "postgres") -> str:
        done = subprocess.run(
            ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", self.cfg.db_url(db, user), "-c", query],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    # -- the run -----------------------------------------------------------------------------

    def prepare(self) -> None:
        """Reset what earlier runs wrote, then write the data files the Lua scripts read."""
        cfg, main = self.cfg, self.cfg.main
        for ds in cfg.datasets:
            self.sql(
                ds.db,
                f"DELETE FROM social.posts WHERE id > {ds.posts};"
                " DELETE FROM social.refresh_tokens;"
                " DELETE FROM social.users WHERE username LIKE 'bench-%';",
            )
            self.write_tokens(ds)
        # Logins: a few users with cost-12 hashes, as real accounts have (the seed uses cost 4).
        digest = bcrypt.hashpw(LOGIN_PASSWORD.encode(), bcrypt.gensalt(BCRYPT_COST)).decode()
        values = ", ".join(
            f"('bench-login-{i}', 'bench-login-{i}@example.com', '{digest}', true)"
            for i in range(1, LOGIN_USERS + 1)
        )
        self.sql(
            main.db,
            f"INSERT INTO social.users (username, email, password_hash, is_active) VALUES {values}",
        )
        (self.data / "login_users.txt").write_text(
            "".join(
                f"bench-login-{i}@example.com {LOGIN_PASSWORD}\n" for i in range(1, LOGIN_USERS + 1)
            )
        )
        # PATCH: one post per owner, four per connection (a post is on one connection at a time).
        owners = self.tokens[main.db][: 4 * cfg.connections]
        ids = ",".join(str(uid) for uid, _ in owners)
        created = self.sql(
            main.db,
            "INSERT INTO social.posts (user_id, title, content, tags)"
            " SELECT u, 'Benchmark post ' || u, 'Edited over and over by the benchmark.', '{bench}'"
            f" FROM unnest('{{{ids}}}'::bigint[]) WITH ORDINALITY AS o(u, n) ORDER BY n"
            " RETURNING id, user_id",
        )
        token_of = dict(owners)
        lines = [row.split("|") for row in created.splitlines()]
        (self.data / "patch_posts.txt").write_text(
            "".join(f"{pid} 1 {token_of[int(uid)]}\n" for pid, uid in lines)
        )
        # pgbench's edits get their own posts: consecutive ids, one per client.
        first = self.sql(
            main.db,
            "WITH p AS (INSERT INTO social.posts (user_id, title, content, tags)"
            " SELECT 3 + n, 'pgbench post', 'Edited by pgbench.', '{bench}'"
            f" FROM generate_series(0, {cfg.pgbench_clients - 1}) n ORDER BY n RETURNING id)"
            " SELECT min(id) || ' ' || max(id) FROM p",
        ).split()
        if int(first[1]) - int(first[0]) != cfg.pgbench_clients - 1:
            raise SystemExit("pgbench posts did not get consecutive ids")
        self.first_pgbench_post = int(first[0])
        hot_id = self.tokens[main.db][0][0]
        user = orjson.loads(self.sql(main.db, f"SELECT api.get_user(p_user_id => {hot_id})"))
        del user["email"]  # what a non-admin caller sees
        self.user_json = orjson.dumps(user)
        self.sql(main.db, "VACUUM ANALYZE social.posts, social.users, social.refresh_tokens")

    def write_tokens(self, ds: Dataset) -> None:
        """Access tokens for a random sample of seeded users (not the admin nor the moderator),
        signed like api/security.py signs them, valid for the whole run."""
        rng = random.Random(f"tokens-{ds.db}")
        count = min(self.cfg.tokens, ds.users - 2)
        ids = rng.sample(range(3, ds.users + 1), count)
        now = int(time.time())
        rows = []
        for uid in ids:
            claims = {
                "sub": str(uid),
                "iat": now,
                "nbf": now - 60,
                "exp": now + 4 * 3600,
                "iss": "gosocial",
                "aud": "gosocial",
                "jti": secrets.token_hex(16),
                "typ": "access",
            }
            rows.append((uid, jwt.encode(claims, self.secret, algorithm="HS256")))
        self.tokens[ds.db] = rows
        (self.data / f"tokens_{ds.db}.txt").write_text(
            "".join(f"{uid} {token}\n" for uid, token in rows)
        )

    def run(self) -> None:
        cfg = self.cfg
        print(
            f"benchmark run {self.dir.name}: {cfg.duration} s per scenario, "
            f"{cfg.connections} connections, WORKERS={cfg.workers}",
            flush=True,
        )
        self.prepare()
        self.sample_load("start")
        redis_argv = [
            "redis-server",
            "--port",
            str(cfg.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.dir),
        ]
        with self.process("redis", redis_argv, {}, cfg.redis_port):
            self.ceilings()
            self.gosocial()
            self.peer()
            self.growth()
        self.explain()
        self.sample_load("end")
        self.versions()
        write_report(self)

    def ceilings(self) -> None:
        cfg, main = self.cfg, self.cfg.main
        print("ceilings", flush=True)
        hot = [uid for uid, _ in self.tokens[main.db][: cfg.hot]]
        redis_cli = ["redis-cli", "-p", str(cfg.redis_port)]
        fill = "".join(
            f"SET ceiling-user-{uid} {json.dumps(self.user_json.decode())}\n" for uid in hot
        )
        env = {
            "CEILING_PORT": str(cfg.ceiling_port),
            "CEILING_WORKERS": str(cfg.workers),
            "CEILING_REDIS_URL": f"redis://127.0.0.1:{cfg.redis_port}/15",
            "CEILING_BODY": b'{"data":'.decode() + self.user_json.decode() + "}",
            "PYTHONPATH": str(ROOT),
        }
        if cfg.wanted("ceiling_bare") or cfg.wanted("ceiling_redis"):
            # The keys live in db 15, away from the service's cache.
            subprocess.run(
                [*redis_cli, "-n", "15"],
                input=fill.encode(),
                check=True,
                stdout=subprocess.DEVNULL,
            )
            argv = [str(PYTHON), str(BENCH / "ceiling_app.py")]
            with self.process(
                "ceiling", argv, env, cfg.ceiling_port, probe="/bare/1", workers=cfg.workers
            ):
                lua = self.tokens_env(main, hot=cfg.hot, ids="hot")
                if cfg.wanted("ceiling_bare"):
                    r = self.wrk(
                        "ceiling_bare",
                        cfg.ceiling_port,
                        "request.lua",
                        {**lua, "BENCH_PATH": "/bare/{id}"},
                    )
                    self.record(Row("ceiling_bare", "Ceiling: bare Sanic handler, same JSON", r))
                if cfg.wanted("ceiling_redis"):
                    r = self.wrk(
                        "ceiling_redis",
                        cfg.ceiling_port,
                        "request.lua",
                        {**lua, "BENCH_PATH": "/redis/{id}"},
                    )
                    self.record(Row("ceiling_redis", "Ceiling: Sanic + one Redis GET", r))
        pgb = [
            ("pg_get_user", "get_user.sql", "Ceiling: pgbench api.get_user", {}),
            ("pg_get_post", "get_post.sql", "Ceiling: pgbench api.get_post", {}),
            ("pg_feed", "feed.sql", "Ceiling: pgbench api.user_feed (default page)", {}),
            (
                "pg_feed_filtered",
                "feed_filtered.sql",
                "Ceiling: pgbench api.user_feed (tags + search)",
                {},
            ),
            ("pg_create_post", "create_post.sql", "Ceiling: pgbench api.create_post", {}),
        ]
        for row_id, script, title, defines in pgb:
            if cfg.wanted(row_id):
                self.record(Row(row_id, title, self.pgbench(row_id, script, main, **defines)))
                if row_id == "pg_create_post":
                    self.settle(main.db)
        if cfg.wanted("pg_update_post"):
            r = self.pgbench(
                "pg_update_post",
                "update_post.sql",
                main,
                user="postgres",
                first_post=self.first_pgbench_post,
            )
            self.record(Row("pg_update_post", "Ceiling: pgbench api.update_post", r))
            self.settle(main.db)
        if cfg.wanted("ceiling_bcrypt"):
            digest = bcrypt.hashpw(b"x", bcrypt.gensalt(BCRYPT_COST))
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                bcrypt.checkpw(b"x", digest)
                times.append(time.perf_counter() - t0)
            per_hash = statistics.median(times)
            cores = os.cpu_count() or 1
            self.record(
                Row(
                    "ceiling_bcrypt",
                    f"Ceiling: bcrypt cost {BCRYPT_COST} on {cores} cores",
                    Result(
                        cores / per_hash,
                        per_hash * 1000,
                        per_hash * 1000,
                        3,
                        0,
                        f"{per_hash * 1000:.0f} ms per hash",
                    ),
                )
            )

    def tokens_env(self, ds: Dataset, *, hot: int = 0, ids: str = "none") -> dict[str, str]:
        return {
            "BENCH_TOKENS": f"tokens_{ds.db}.txt",
            "BENCH_HOT": str(hot),
            "BENCH_IDS": ids,
        }

    def gosocial(self) -> None:
        cfg, main = self.cfg, self.cfg.main
        print("GoSocial", flush=True)
        everyone = self.tokens_env(main)
        hot = self.tokens_env(main, hot=cfg.hot, ids="hot")
        get_user = {**hot, "BENCH_PATH": "/v1/users/{id}"}
        post = (
            '{"title": "Benchmark post", "content": "Written by wrk; removed when the next run'
            ' starts.", "tags": ["bench"]}'
        )
        # Reads first, then writes, then the GETs the login storm is compared with, then the
        # storm (its hashes outlive the run: the service is restarted after it).
        cached = [
            Scenario("feed", "GET /v1/users/feed, default page", "pg_feed",
                     {**everyone, "BENCH_PATH": "/v1/users/feed"},
                     f"{len(self.tokens[main.db]):,} random users"),
            Scenario("feed_filtered", f"GET /v1/users/feed{FILTER_QUERY}", "pg_feed_filtered",
                     {**everyone, "BENCH_PATH": "/v1/users/feed" + FILTER_QUERY}),
            Scenario("get_post", "GET /v1/posts/{id}", "pg_get_post",
                     {**everyone, "BENCH_PATH": "/v1/posts/{id}", "BENCH_IDS": "range",
                      "BENCH_ID_MAX": str(main.posts)}),
            Scenario("create_post", "POST /v1/posts", "pg_create_post",
                     {**everyone, "BENCH_METHOD": "POST", "BENCH_PATH": "/v1/posts",
                      "BENCH_BODY": post}, warmup=False),
            Scenario("patch_post", "PATCH /v1/posts/{id} (right version)", "pg_update_post", {},
                     "each post on one connection at a time", script="patch.lua", warmup=False),
            Scenario("get_user_cached", "GET /v1/users/{id}, warm cache", "ceiling_redis",
                     get_user, f"{cfg.hot:,} callers and targets, all cached"),
        ]  # fmt: skip
        storm = cfg.wanted("login_storm")
        self.session("service", main.db, 0, cached, force={"get_user_cached"} if storm else set(),
                     after=(lambda: self.login_storm(get_user)) if storm else None)  # fmt: skip
        uncached = Scenario(
            "get_user_uncached", "GET /v1/users/{id}, cache off", "pg_get_user",
            {**everyone, "BENCH_PATH": "/v1/users/{id}", "BENCH_IDS": "range",
             "BENCH_ID_MAX": str(main.users)},
            "REDIS_URL empty: caller and target both read from PostgreSQL",
        )  # fmt: skip
        self.session("service_nocache", main.db, None, [uncached])
        quiet = Scenario(
            "get_user_no_access_log", "GET /v1/users/{id}, warm cache, ACCESS_LOG=false",
            "ceiling_redis", get_user, "experiment: the warm-cache row without the access log",
        )  # fmt: skip
        self.session("service_quiet", main.db, 0, [quiet], ACCESS_LOG="false")

    def session(
        self,
        name: str,
        db: str,
        redis_db: int | None,
        scenarios: list[Scenario],
        *,
        force: set[str] | frozenset[str] = frozenset(),
        after: Callable[[], None] | None = None,
        **extra: str,
    ) -> None:
        """One service instance for the wanted scenarios (and `after`), in order."""
        todo = [s for s in scenarios if self.cfg.wanted(s.id) or s.id in force]
        if not todo and after is None:
            return
        with self.service(name, db, redis_db, **extra):
            for s in todo:
                r = self.wrk(s.id, self.cfg.service_port, s.script, s.env, warmup=s.warmup)
                self.record(Row(s.id, s.title, r, s.ceiling, s.note))
                if s.script == "patch.lua" or s.env.get("BENCH_METHOD") == "POST":
                    self.settle(db)
            if after is not None:
                after()

    def settle(self, db: str) -> None:
        """After writes: vacuum (the trigram GIN pending lists, dead tuples) and checkpoint now,
        rather than let autovacuum and the checkpointer take CPU from the next scenario."""
        self.sql(db, "VACUUM (ANALYZE) social.posts")
        self.sql(db, "CHECKPOINT")

    def login_storm(self, get_user: dict[str, str]) -> None:
        """Logins on a few connections while the warm-cache GETs run beside them."""
        cfg = self.cfg
        port = cfg.service_port
        storm = self.wrk(
            "login", port, "login.lua", {}, connections=cfg.login_connections,
            threads=1, warmup=False, background=True,
        )  # fmt: skip
        beside = self.wrk("get_user_during_login", port, "request.lua", get_user,
                          warmup=False)  # fmt: skip
        login = self.wrk_result(storm)  # type: ignore[arg-type]
        self.record(Row(
            "login",
            f"POST /v1/auth/login (bcrypt {BCRYPT_COST}), {cfg.login_connections} connections",
            login, "ceiling_bcrypt", "beside the GETs below",
        ))  # fmt: skip
        self.record(Row(
            "get_user_during_login", "GET /v1/users/{id}, warm cache, during logins",
            beside, "get_user_cached", "ratio to the same GETs without logins",
        ))  # fmt: skip

    def peer(self) -> None:
        cfg, main = self.cfg, self.cfg.main
        if not (cfg.wanted("postgrest_get_user") or cfg.wanted("postgrest_feed")):
            return
        if not cfg.postgrest or not Path(cfg.postgrest).exists():
            for row_id in ("postgrest_get_user", "postgrest_feed"):
                self.record(Row(row_id, f"PostgREST {row_id[10:]}", None, note="no binary"))
            return
        print("PostgREST", flush=True)
        conf = self.dir / "postgrest.conf"
        conf.write_text(
            "\n".join(
                [
                    f'db-uri = "{cfg.db_url(main.db)}"',
                    'db-schemas = "api"',
                    'db-anon-role = "gosocial_app"',
                    f"db-pool = {cfg.pgbench_clients}",
                    "db-config = false",
                    "db-channel-enabled = false",
                    'server-host = "127.0.0.1"',
                    f"server-port = {cfg.postgrest_port}",
                    f'jwt-secret = "{self.secret}"',
                    'jwt-aud = "gosocial"',
                    'log-level = "error"',
                    "",
                ]
            )
        )
        everyone = self.tokens_env(main)
        argv = [cfg.postgrest, str(conf)]
        with self.process("postgrest", argv, {}, cfg.postgrest_port, probe="/"):
            if cfg.wanted("postgrest_get_user"):
                r = self.wrk(
                    "postgrest_get_user",
                    cfg.postgrest_port,
                    "request.lua",
                    {
                        **everyone,
                        "BENCH_METHOD": "POST",
                        "BENCH_PATH": "/rpc/get_user",
                        "BENCH_IDS": "range",
                        "BENCH_ID_MAX": str(main.users),
                        "BENCH_BODY": '{"p_user_id": {id}}',
                    },
                )
                self.record(
                    Row(
                        "postgrest_get_user",
                        "PostgREST POST /rpc/get_user (peer)",
                        r,
                        "pg_get_user",
                        "same bearer tokens, anon role gosocial_app",
                    )
                )
            if cfg.wanted("postgrest_feed"):
                body = (
                    '{"p_user_id": {uid}, "p_limit": 20, "p_offset": 0, "p_sort": "desc",'
                    ' "p_tags": null, "p_search": null, "p_since": null, "p_until": null}'
                )
                r = self.wrk(
                    "postgrest_feed",
                    cfg.postgrest_port,
                    "request.lua",
                    {
                        **everyone,
                        "BENCH_METHOD": "POST",
                        "BENCH_PATH": "/rpc/user_feed",
                        "BENCH_BODY": body,
                    },
                )
                self.record(
                    Row(
                        "postgrest_feed",
                        "PostgREST POST /rpc/user_feed (peer)",
                        r,
                        "pg_feed",
                        "the caller's feed, default page",
                    )
                )

    def growth(self) -> None:
        cfg = self.cfg
        if not cfg.wanted("growth"):
            return
        print("cost growth", flush=True)
        for index, ds in enumerate(cfg.datasets[1:], start=1):
            suffix = f"{ds.posts // 1000}k"
            with self.service(f"service_{ds.db}", ds.db, index):
                r = self.wrk(
                    f"feed_{suffix}",
                    cfg.service_port,
                    "request.lua",
                    {**self.tokens_env(ds), "BENCH_PATH": "/v1/users/feed"},
                )
            self.record(
                Row(
                    f"pg_feed_{suffix}",
                    f"Ceiling: pgbench api.user_feed, {ds.posts:,} posts",
                    self.pgbench(f"pg_feed_{suffix}", "feed.sql", ds),
                )
            )
            self.record(
                Row(
                    f"feed_{suffix}",
                    f"GET /v1/users/feed, {ds.posts:,} posts",
                    r,
                    f"pg_feed_{suffix}",
                    f"{ds.users:,} users, {ds.follows} follows each",
                )
            )

    def explain(self) -> None:
        """The plans of the queries inside api.user_feed: auto_explain reports them to psql."""
        main = self.cfg.main
        uid = self.tokens[main.db][0][0]
        page = f"p_user_id => {uid}, p_limit => 20, p_offset => 0, p_sort => 'desc'"
        calls = [
            (
                "default page",
                f"SELECT api.user_feed({page}, p_tags => NULL, p_search => NULL,"
                " p_since => NULL, p_until => NULL)",
            ),
            (
                "tags + search",
                f"SELECT api.user_feed({page}, p_tags => '{{python}}', p_search => 'cache',"
                " p_since => NULL, p_until => NULL)",
            ),
        ]
        for label, call in calls:
            script = (
                "LOAD 'auto_explain';\n"
                "SET auto_explain.log_min_duration = 0;\n"
                "SET auto_explain.log_analyze = on;\n"
                "SET auto_explain.log_buffers = on;\n"
                "SET auto_explain.log_timing = on;\n"
                "SET auto_explain.log_nested_statements = on;\n"
                "SET client_min_messages = log;\n"
                f"{call};\n"  # warm
                f"{call};\n"
            )
            done = subprocess.run(
                ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", self.cfg.db_url(main.db, "postgres")],
                input=script,
                capture_output=True,
                text=True,
                check=True,
            )
            plans = [p for p in done.stderr.split("LOG:  duration:") if "Query Text:" in p]
            # The last nested plan of the second call is the feed query itself.
            inner = [p for p in plans if "CROSS JOIN LATERAL" in p or "LATERAL" in p]
            text = ("duration:" + (inner or plans)[-1]).strip() if plans else done.stderr
            self.explains.append((f"{label}, user {uid}, {main.posts:,} posts", text))

    def versions(self) -> None:
        def out(argv: list[str]) -> str:
            try:
                done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            except OSError:
                return "not installed"
            return (done.stdout or done.stderr).strip().splitlines()[0]

        cpu = "unknown"
        with contextlib.suppress(OSError):
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        mem = "unknown"
        with contextlib.suppress(OSError):
            kb = int(Path("/proc/meminfo").read_text().split()[1])
            mem = f"{kb / 1024 / 1024:.1f} GiB"
        self.facts = {
            "Date": self.started.strftime("%Y-%m-%d %H:%M UTC"),
            "Machine": f"{os.cpu_count()} cores (nproc), {cpu}, {mem} RAM, "
            f"{platform.system()} {platform.release()}",
            "Python": platform.python_version(),
            "sanic": metadata.version("sanic"),
            "asyncpg": metadata.version("asyncpg"),
            "redis-py": metadata.version("redis"),
            "PostgreSQL": self.sql(self.cfg.main.db, "SHOW server_version"),
            "Redis": out(["redis-server", "--version"]),
            "wrk": out(["wrk", "-v"]).split(" Copyright")[0],
            "pgbench": out(["pgbench", "--version"]),
            "PostgREST": out([self.cfg.postgrest, "--version"]) if self.cfg.postgrest else "-",
        }


def prune_results(keep: int) -> None:
    """Raw outputs of the last `keep` runs stay under bench/results/ (git-ignored)."""
    runs = sorted(p for p in RESULTS.glob("20*T*Z") if p.is_dir())
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


def percentile(sorted_values: list[int], pct: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return float(sorted_values[index])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_status(port: int, path: str) -> int:
    """The status of GET `path` on loopback, or 0 when there is no answer yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = sock.recv(64).decode("latin-1")
    except OSError:
        return 0
    match = re.match(r"HTTP/1\.[01] (\d{3})", head)
    return int(match[1]) if match else 0


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group we started (server and its workers), then SIGKILL."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main() -> None:
    cfg = Config()
    prune_results(keep=int(os.environ.get("BENCH_KEEP_RUNS", "5")))
    run = Run(cfg)

    def interrupted(signum: int, _frame: object) -> None:
        for proc in list(run.procs):
            stop_group(proc)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        run.run()
    finally:
        for proc in list(run.procs):
            stop_group(proc)
    print(f"report: {cfg.report}")


if __name__ == "__main__":
    main()

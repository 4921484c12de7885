"""The benchmark run behind `make bench` (started by bench/run.sh once PostgreSQL is up).

Resets the databases and writes the data files the Lua scripts read, starts Redis, then takes
the steps of bench/scenarios.py in order: each server (the ceiling app, the service, PostgREST)
is started on a loopback port for its wrk loads and stopped after them; pgbench runs in between.
Each row goes to bench/results/<timestamp>/ once measured, next to the tools' raw outputs; at the
end the run's facts go there too, and bench/report.py renders bench/REPORT.md from them.
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
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import bcrypt
import jwt
import orjson

from api.pages import Cursors
from bench import report
from bench.config import BCRYPT_COST, BENCH, REPORT, RESULTS, ROOT, Config, Dataset
from bench.processes import Processes
from bench.record import LoadAverage, Record, Result, Row
from bench.scenarios import Bcrypt, Pgbench, Server, Stage, Step, Storm, Wrk, plan

LUA = BENCH / "lua"
PGBENCH = BENCH / "pgbench"
PYTHON = ROOT / ".venv" / "bin" / "python"

LOGIN_PASSWORD = "bench-login-password"
LOGIN_USERS = 8


class Runner:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.started = datetime.now(UTC)
        self.dir = RESULTS / self.started.strftime("%Y%m%dT%H%M%SZ")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.data = self.dir / "data"
        self.data.mkdir()
        self.record = Record(self.dir, cfg)
        self.processes = Processes(self.dir)
        self.secret = secrets.token_urlsafe(36)
        self.tokens: dict[str, list[tuple[int, str]]] = {}
        self.first_pgbench_post = 0
        self.user_json = b"{}"

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
        with self.processes.serve("redis", redis_argv, {}, cfg.redis_port):
            for step in plan(cfg, self.first_pgbench_post):
                self.step(step)
        self.explain()
        self.sample_load("end")
        self.versions()
        self.record.save()

    # -- preparation -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Reset what earlier runs wrote, then write the data files the Lua scripts read."""
        cfg, main = self.cfg, self.cfg.main
        for ds in cfg.datasets:
            self.sql(
                ds.db,
                f"DELETE FROM social.posts WHERE id > {ds.posts};"
                " DELETE FROM social.followers WHERE created_at >= '2026-01-01';"
                " DELETE FROM social.refresh_tokens;"
                " DELETE FROM social.users WHERE username LIKE 'bench-%';",
            )
            self.write_tokens(ds)
        self.write_cohorts(main)
        self.measure_timelines(main)
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
        ids = rng.sample(range(3, ds.users + 1), self.cfg.token_count(ds))
        rows = [(uid, self.access_token(uid)) for uid in ids]
        self.tokens[ds.db] = rows
        self.write_rows(f"tokens_{ds.db}.txt", rows)

    def write_cohorts(self, ds: Dataset) -> None:
        """Token files of bench/cohorts.sql's users, `tokens_<db>_<cohort>.txt`; for the readers
        of 500, also with a cursor to the start of page 10 and of page 100 of their feed, signed
        as the service signs them (api/pages.py)."""
        listed = self.sql(
            ds.db,
            "SELECT cohort, user_id FROM public.bench_cohorts ORDER BY cohort, user_id"
            " -- written by bench/cohorts.sql",
        )
        cohorts: dict[str, list[int]] = {}
        for line in listed.splitlines():
            cohort, member = line.split("|")
            cohorts.setdefault(cohort, []).append(int(member))
        cursors = Cursors(self.secret)
        for cohort, ids in cohorts.items():
            rows = [(uid, self.access_token(uid)) for uid in ids]
            self.write_rows(f"tokens_{ds.db}_{cohort}.txt", rows)
            if cohort != "readers_500":
                continue
            for page in (10, 100):
                lines = []
                for uid, token in rows:
                    item = orjson.loads(
                        self.sql(
                            ds.db,
                            f"SELECT coalesce(api.user_feed(p_user_id => {uid}, p_limit => 1,"
                            f" p_offset => {20 * (page - 1) - 1}, p_sort => 'desc', p_tags => NULL,"
                            " p_search => NULL, p_since => NULL, p_until => NULL) -> 0, 'null')",
                        )
                    )
                    if item is None:  # a feed shorter than the page: not a caller here
                        continue
                    cursor = cursors.issue(f"feed:{uid}", "desc", item["created_at"], item["id"])
                    lines.append(f"{uid} {token} {cursor}\n")
                (self.data / f"tokens_{ds.db}_{cohort}_page{page}.txt").write_text("".join(lines))

    def measure_timelines(self, ds: Dataset) -> None:
        """What the materialized timelines cost on disk (table and both indexes)."""
        self.sql(ds.db, "VACUUM (ANALYZE) social.timeline")
        entries, owners, size, n = self.sql(
            ds.db,
            "SELECT (SELECT reltuples::bigint FROM pg_class"
            " WHERE oid = 'social.timeline'::regclass),"
            " (SELECT count(*) FROM social.users),"
            " pg_total_relation_size('social.timeline'),"
            " (SELECT timeline_size FROM social.feed_settings)",
        ).split("|")
        per_user = int(size) / int(owners)
        self.record.measures.update(
            {
                "timeline entries": f"{int(entries):,} (N = {int(n):,} per user)",
                "timeline size with its indexes": f"{int(size) / 2**30:.2f} GiB "
                f"for {int(owners):,} users",
                "timeline bytes per user": f"{per_user / 1024:.1f} kB "
                f"({int(size) / max(int(entries), 1):.0f} bytes per entry)",
            }
        )

    def access_token(self, uid: int) -> str:
        """An access token signed like api/security.py signs them, valid for the whole run."""
        now = int(time.time())
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
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def write_rows(self, name: str, rows: list[tuple[int, str]]) -> None:
        (self.data / name).write_text("".join(f"{uid} {token}\n" for uid, token in rows))

    # -- the steps ---------------------------------------------------------------------------

    def step(self, step: Step) -> None:
        if isinstance(step, Stage):
            self.stage(step)
        elif isinstance(step, Pgbench):
            self.add(Row(step.id, step.title, self.pgbench(step)))
            if step.writes:
                self.settle(step.dataset.db)
        else:
            self.add(Row(step.id, step.title, self.bcrypt_ceiling(step)))

    def stage(self, stage: Stage) -> None:
        if stage.server.kind == "postgrest" and not (
            self.cfg.postgrest and Path(self.cfg.postgrest).exists()
        ):
            for load in stage.loads:
                for wrk in [load.storm, load.beside] if isinstance(load, Storm) else [load]:
                    self.add(Row(wrk.id, wrk.title, None, note="no binary"))
            return
        print(stage.server.name, flush=True)
        held: list[Row] = []  # the rows listed after the stage's ceiling
        keep = held.append if stage.ceiling else self.add
        with self.server(stage.server) as port:
            for load in stage.loads:
                if isinstance(load, Storm):
                    for row in self.storm(load, port):
                        keep(row)
                    continue
                if load.before:
                    self.sql(stage.server.db, load.before)
                keep(row_of(load, self.wrk(load, port)))
                if load.after:
                    self.sql(stage.server.db, load.after)
                if load.writes:
                    self.settle(stage.server.db, load.id)
        if stage.ceiling:
            self.step(stage.ceiling)
            for row in held:
                self.add(row)

    def storm(self, storm: Storm, port: int) -> list[Row]:
        started = self.start_wrk(storm.storm, port)
        beside = row_of(storm.beside, self.wrk(storm.beside, port))
        return [row_of(storm.storm, self.wrk_result(storm.storm, started)), beside]

    def bcrypt_ceiling(self, step: Bcrypt) -> Result:
        digest = bcrypt.hashpw(b"x", bcrypt.gensalt(BCRYPT_COST))
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            bcrypt.checkpw(b"x", digest)
            times.append(time.perf_counter() - t0)
        per_hash = statistics.median(times)
        ms = per_hash * 1000
        return Result(step.cores / per_hash, ms, ms, 3, 0, f"{ms:.0f} ms per hash")

    def settle(self, db: str, after: str = "") -> None:
        """After writes: finish the queued fan-out (the service's drainers copy it while the
        service runs; `after` names the load, and the wait is recorded), then vacuum (the
        trigram GIN pending lists, dead tuples) and checkpoint now, rather than let autovacuum
        and the checkpointer take CPU from the next scenario."""
        started, deadline = time.monotonic(), time.monotonic() + 600
        if not after:  # no service: copy here
            while self.sql(db, "SELECT api.fan_out_queued(50)") != "0":
                pass
        while self.sql(db, "SELECT EXISTS (SELECT FROM social.fanout_queue)") == "t":
            if time.monotonic() > deadline:
                raise SystemExit("the fan-out queue did not drain in 600 s")
            time.sleep(0.2)
        if after:
            self.record.measures[f"queued fan-out done, after {after}"] = (
                f"{time.monotonic() - started:.1f} s after the load ended"
            )
        self.sql(db, "VACUUM (ANALYZE) social.posts, social.timeline")
        self.sql(db, "CHECKPOINT")

    # -- servers -----------------------------------------------------------------------------

    def server(self, server: Server) -> contextlib.AbstractContextManager[int]:
        """Start the server; the context is its port."""
        start = {"ceiling": self.ceiling_app, "service": self.service, "postgrest": self.postgrest}
        return start[server.kind](server)

    @contextlib.contextmanager
    def ceiling_app(self, server: Server) -> Iterator[int]:
        cfg = self.cfg
        hot = [uid for uid, _ in self.tokens[server.db][: cfg.hot]]
        fill = "".join(
            f"SET ceiling-user-{uid} {json.dumps(self.user_json.decode())}\n" for uid in hot
        )
        # The keys live in db 15, away from the service's cache.
        subprocess.run(
            ["redis-cli", "-p", str(cfg.redis_port), "-n", "15"],
            input=fill.encode(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        env = {
            "CEILING_PORT": str(cfg.ceiling_port),
            "CEILING_WORKERS": str(cfg.workers),
            "CEILING_REDIS_URL": f"redis://127.0.0.1:{cfg.redis_port}/15",
            "CEILING_BODY": '{"data":' + self.user_json.decode() + "}",
            "PYTHONPATH": str(ROOT),
        }
        argv = [str(PYTHON), str(BENCH / "ceiling_app.py")]
        port = cfg.ceiling_port
        with self.processes.serve(
            server.name, argv, env, port, probe="/bare/1", workers=cfg.workers
        ):
            yield port

    @contextlib.contextmanager
    def service(self, server: Server) -> Iterator[int]:
        cfg = self.cfg
        db = server.redis_db
        redis_url = "" if db is None else f"redis://127.0.0.1:{cfg.redis_port}/{db}"
        env = {
            "HOST": "127.0.0.1",
            "PORT": str(cfg.service_port),
            "WORKERS": str(cfg.workers),
            "ENV": "development",
            "DATABASE_URL": cfg.db_url(server.db),
            "DB_POOL_MIN": str(cfg.db_pool),
            "DB_POOL_MAX": str(cfg.db_pool),
            "REDIS_URL": redis_url,
            "CACHE_TTL": "3600",  # the cache stays warm for the whole run
            "RATE_LIMIT_ENABLED": "false",
            "MAILER": "console",
            "JWT_SECRET": self.secret,
            "BCRYPT_COST": str(BCRYPT_COST),
            "PYTHONPATH": str(ROOT),
            **server.env,
        }
        argv = [str(PYTHON), "-m", "api"]
        port = cfg.service_port
        with self.processes.serve(
            server.name, argv, env, port, probe="/v1/users/1", workers=cfg.workers
        ):
            yield port

    @contextlib.contextmanager
    def postgrest(self, server: Server) -> Iterator[int]:
        cfg = self.cfg
        conf = self.dir / "postgrest.conf"
        conf.write_text(
            "\n".join(
                [
                    f'db-uri = "{cfg.db_url(server.db)}"',
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
        port = cfg.postgrest_port
        with self.processes.serve(server.name, [cfg.postgrest, str(conf)], {}, port, probe="/"):
            yield port

    # -- load generators ---------------------------------------------------------------------

    def wrk(self, load: Wrk, port: int) -> Result:
        proc = self.start_wrk(load, port)
        if self.cfg.profile and port == self.cfg.service_port:
            self.profile(load)
        return self.wrk_result(load, proc)

    def profile(self, load: Wrk) -> None:
        """Sample every process of the service (py-spy, collapsed stacks) while wrk measures."""
        server = self.processes.running[-1]  # the stage's server, started last
        argv = [str(PYTHON.parent / "py-spy"), "record", "--pid", str(server.pid)]
        argv += ["--subprocesses", "--nonblocking", "--format", "raw"]
        argv += ["--duration", str(max(1, self.cfg.duration - 1))]
        argv += ["--output", str(self.dir / f"{load.id}.pyspy.txt")]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def start_wrk(self, load: Wrk, port: int) -> subprocess.Popen[bytes]:
        """The warm-up (unless the load has none), then the measured run, left running."""
        connections = load.connections or self.cfg.connections
        threads = min(load.threads or self.cfg.threads, connections)
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "BENCH_LUA": str(LUA),
            "BENCH_DATA": str(self.data),
            "BENCH_THREADS": str(threads),
            **load.env,
        }
        argv = ["wrk", "-t", str(threads), "-c", str(connections), "--latency", "--timeout", "10s"]
        script = str(LUA / load.script)
        warmup = self.cfg.warmup if load.warmup_seconds is None else load.warmup_seconds
        if load.warmup and warmup > 0:
            subprocess.run(
                [*argv, "-d", f"{warmup}s", "-s", script, url],
                env={**env, "BENCH_OUT": str(self.dir / f"{load.id}.warmup.json")},
                check=True,
                stdout=subprocess.DEVNULL,
            )
        with (self.dir / f"{load.id}.wrk.txt").open("wb") as text:
            return subprocess.Popen(
                [*argv, "-d", f"{self.cfg.duration}s", "-s", script, url],
                env={**env, "BENCH_OUT": str(self.dir / f"{load.id}.json")},
                stdout=text,
                stderr=subprocess.STDOUT,
            )

    def wrk_result(self, load: Wrk, proc: subprocess.Popen[bytes]) -> Result:
        """Wait for wrk, then read the summary bench/lua/common.lua wrote."""
        if proc.wait() != 0:
            raise SystemExit(f"wrk failed: see {self.dir / load.id}.wrk.txt")
        summary = json.loads((self.dir / f"{load.id}.json").read_text())
        latency = summary["latency_us"]
        counters = summary.get("counters") or {}
        return Result(
            rps=summary["requests"] / (summary["duration_us"] / 1e6),
            p50=latency["p50"] / 1000,
            p99=latency["p99"] / 1000,
            requests=summary["requests"],
            errors=sum(summary["errors"].values()),
            detail=", ".join(f"{k} {v}" for k, v in counters.items()),
        )

    def pgbench(self, step: Pgbench) -> Result:
        ds = step.dataset
        defines = {"users": ds.users, "posts": ds.posts, **step.defines}
        clients = self.cfg.pgbench_clients
        argv = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(2, clients))]
        argv += ["-f", str(PGBENCH / step.script)]
        for key, value in defines.items():
            argv += ["-D", f"{key}={value}"]
        url = self.cfg.db_url(ds.db, step.user)
        if self.cfg.warmup > 0:
            subprocess.run(
                [*argv, "-T", str(self.cfg.warmup), url],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        logs = self.dir / f"{step.id}.pgbench"
        logs.mkdir()
        done = subprocess.run(
            [*argv, "-T", str(self.cfg.duration), "-l", "--log-prefix", str(logs / "tx"), url],
            check=True,
            capture_output=True,
            text=True,
        )
        (self.dir / f"{step.id}.pgbench.txt").write_text(done.stdout + done.stderr)
        latencies = []
        for path in logs.iterdir():
            for line in path.read_text().splitlines():
                latencies.append(int(line.split()[2]))
        shutil.rmtree(logs)
        failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
        tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
        if not tps or not latencies:
            raise SystemExit(f"pgbench {step.id}: no result\n{done.stdout}{done.stderr}")
        latencies.sort()
        return Result(
            rps=float(tps[1]),
            p50=percentile(latencies, 50) / 1000,
            p99=percentile(latencies, 99) / 1000,
            requests=len(latencies),
            errors=int(failed[1]) if failed else 0,
        )

    # -- bookkeeping -------------------------------------------------------------------------

    def add(self, row: Row) -> None:
        self.record.add(row)
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

    def sample_load(self, when: str) -> None:
        one, five, _ = os.getloadavg()
        self.record.load.append(LoadAverage(when, round(one, 2), round(five, 2)))

    def sql(self, db: str, query: str, user: str = "postgres") -> str:
        done = subprocess.run(
            ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", self.cfg.db_url(db, user), "-c", query],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

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
            self.record.explains.append((f"{label}, user {uid}, {main.posts:,} posts", text))

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
        self.record.facts = {
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


def row_of(load: Wrk, result: Result) -> Row:
    return Row(load.id, load.title, result, load.ceiling, load.note)


def prune_results(keep: int) -> None:
    """Raw outputs of the last `keep` runs stay under bench/results/ (git-ignored)."""
    runs = sorted(p for p in RESULTS.glob("20*T*Z") if p.is_dir())
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


def percentile(sorted_values: list[int], pct: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return float(sorted_values[index])


def main() -> None:
    cfg = Config.from_env()
    prune_results(keep=int(os.environ.get("BENCH_KEEP_RUNS", "5")))
    runner = Runner(cfg)

    def interrupted(signum: int, _frame: object) -> None:
        runner.processes.stop_all()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        runner.run()
    finally:
        runner.processes.stop_all()
    out = Path(os.environ.get("BENCH_REPORT") or REPORT)
    out.write_text(report.render(runner.record))
    print(f"report: {out}")


if __name__ == "__main__":
    main()

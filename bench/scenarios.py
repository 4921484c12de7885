"""What `make bench` measures, in the order it measures it.

Ceilings first: a Sanic app that does the least a handler can (bench/ceiling_app.py), pgbench on
the api.* functions the service calls, bcrypt's hashes per second. Then the service, the peer
(PostgREST) and the feed at the smaller sizes. A load's `ceiling` is the id of the row its ratio
is computed against; the id is also the name of its raw outputs under bench/results/<run>/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Literal

from bench.config import BCRYPT_COST, Config, Dataset

FILTER_QUERY = "?tags=python&search=cache"  # must match bench/pgbench/feed_filtered.sql


@dataclass(frozen=True)
class Wrk:
    """wrk against the server of its stage; `env` configures the Lua script (bench/lua/)."""

    id: str
    title: str
    env: dict[str, str]
    ceiling: str | None = None
    note: str = ""
    script: str = "request.lua"
    warmup: bool = True
    warmup_seconds: int | None = None  # None: Config.warmup
    writes: bool = False  # vacuum and checkpoint after it, rather than during the next load
    connections: int | None = None  # None: Config.connections
    threads: int | None = None  # None: Config.threads
    before: str = ""  # SQL (as postgres, on the stage's database) run just before the load
    after: str = ""  # and just after it


@dataclass(frozen=True)
class Storm:
    """A costly load (logins, junk bodies) on a few connections while `beside` runs next to
    it: both at once; `beside` is compared with the same load measured alone (its ceiling)."""

    storm: Wrk
    beside: Wrk
    id: str = "login_storm"


@dataclass(frozen=True)
class Pgbench:
    """bench/pgbench/<script> with as many clients as the service's pools hold connections."""

    id: str
    title: str
    script: str
    dataset: Dataset
    user: str = "gosocial"
    defines: dict[str, int] = field(default_factory=dict)  # besides users and posts
    writes: bool = False


@dataclass(frozen=True)
class Bcrypt:
    """The ceiling of logins: bcrypt checks per second on every core."""

    id: str
    title: str
    cores: int


@dataclass(frozen=True)
class Server:
    kind: Literal["ceiling", "service", "postgrest"]
    name: str  # its log: bench/results/<run>/<name>.log
    db: str
    redis_db: int | None = None  # the service's cache; None: no cache
    env: dict[str, str] = field(default_factory=dict)  # on top of the service's usual settings


@dataclass(frozen=True)
class Stage:
    """One server, started for its loads (measured in order) and stopped after them."""

    server: Server
    loads: tuple[Wrk | Storm, ...]
    # Measured once the server has stopped, listed before the loads like the other ceilings.
    ceiling: Pgbench | None = None


Step = Stage | Pgbench | Bcrypt


def tokens_env(ds: Dataset, *, hot: int = 0, ids: str = "none") -> dict[str, str]:
    """Callers for request.lua: all token holders of `ds`, or the first `hot` of them."""
    return {"BENCH_TOKENS": f"tokens_{ds.db}.txt", "BENCH_HOT": str(hot), "BENCH_IDS": ids}


def cohort_env(ds: Dataset, cohort: str, *, page: int = 1) -> dict[str, str]:
    """Callers from one cohort of bench/cohorts.sql; from page 2 on, with their cursor."""
    name = f"tokens_{ds.db}_{cohort}" + (f"_page{page}" if page > 1 else "")
    return {"BENCH_TOKENS": f"{name}.txt", "BENCH_HOT": "0", "BENCH_IDS": "none"}


# The same service on the same data answering every page with the read-time query (the v1.0
# feed's, with a keyset cursor): its v1.0 self.
READ_TIME_ON = "UPDATE social.feed_settings SET serve_from_timeline = false"
READ_TIME_OFF = "UPDATE social.feed_settings SET serve_from_timeline = true"
WRITE_CONNECTIONS = 8
# Each connection posts twice a second: 16 posts/s, which a 10,000-follower author turns into
# 160,000 timeline entries/s for the drainers; a closed loop would queue more than they copy.
WRITE_PACE_MS = "500"


def feeds(cfg: Config) -> tuple[Wrk, ...]:
    """The feed by the timeline and by the read-time query, for readers following 50, 500 and
    5,000 users; deeper pages by cursor and by offset."""
    main = cfg.main
    path = {"BENCH_PATH": "/v1/users/feed"}
    everyone = {**tokens_env(main), **path}
    loads = [
        Wrk(
            "feed_v1",
            "GET /v1/users/feed, default page, read-time query (v1.0 self)",
            everyone,
            note="serve_from_timeline off",
            before=READ_TIME_ON,
            after=READ_TIME_OFF,
        ),
    ]
    for follows in (500, 5000):
        readers = {**cohort_env(main, f"readers_{follows}"), **path}
        loads += [
            Wrk(
                f"feed_{follows}",
                f"GET /v1/users/feed, readers following {follows:,}",
                readers,
                note="50 readers (bench/cohorts.sql)",
            ),
            Wrk(
                f"feed_{follows}_v1",
                f"GET /v1/users/feed, readers following {follows:,}, read-time query (v1.0 self)",
                readers,
                note="serve_from_timeline off",
                before=READ_TIME_ON,
                after=READ_TIME_OFF,
            ),
        ]
    for page in (10, 100):
        offset = 20 * (page - 1)
        loads += [
            Wrk(
                f"feed_500_cursor_p{page}",
                f"GET /v1/users/feed?cursor=..., page {page}, readers following 500",
                {
                    **cohort_env(main, "readers_500", page=page),
                    "BENCH_PATH": "/v1/users/feed?cursor={cursor}",
                },
                note="past the timeline's 800 entries from page 41" if page > 40 else "",
            ),
            Wrk(
                f"feed_500_offset_p{page}",
                f"GET /v1/users/feed?offset={offset}, page {page}, readers following 500",
                {
                    **cohort_env(main, "readers_500"),
                    "BENCH_PATH": f"/v1/users/feed?offset={offset}",
                },
            ),
        ]
    return tuple(loads)  # fmt: skip


def fan_out_writes(cfg: Config, post: str) -> tuple[Wrk, ...]:
    """Posts by authors with 10 to 50,000 followers, and follows (with their backfill)."""
    main = cfg.main
    paced = {"BENCH_DELAY_MS": WRITE_PACE_MS}
    loads = [
        Wrk(
            f"post_followers_{n}",
            f"POST /v1/posts, author with {n:,} followers, {WRITE_CONNECTIONS} connections paced",
            {
                **cohort_env(main, f"author_{n}"),
                **paced,
                "BENCH_METHOD": "POST",
                "BENCH_PATH": "/v1/posts",
                "BENCH_BODY": post,
            },
            note="each connection every 0.5 s" + ("; pulled (above F)" if n > 10000 else ""),
            warmup=False,
            writes=True,
            connections=WRITE_CONNECTIONS,
            threads=1,
        )
        for n in (10, 1000, 10000, 50000)
    ]
    loads.append(
        Wrk(
            "follow",
            f"PUT /v1/users/{{id}}/follow (with backfill), {WRITE_CONNECTIONS} connections",
            {
                **tokens_env(main),
                "BENCH_METHOD": "PUT",
                "BENCH_PATH": "/v1/users/{id}/follow",
                "BENCH_IDS": "range",
                "BENCH_ID_MAX": str(main.users),
            },
            note="random targets: the rare 409 (already followed) counts as an error",
            warmup=False,
            writes=True,
            connections=WRITE_CONNECTIONS,
            threads=1,
        )
    )
    return tuple(loads)  # fmt: skip


def plan(cfg: Config, first_pgbench_post: int) -> list[Step]:
    """The steps BENCH_ONLY wants (all without it); the growth stages go by the id `growth`."""
    steps = [
        kept
        for step in [*ceilings(cfg, first_pgbench_post), *service(cfg), peer(cfg)]
        if (kept := wanted(cfg, step)) is not None
    ]
    return steps + (growth(cfg) if cfg.wanted("growth") else [])


def wanted(cfg: Config, step: Step) -> Step | None:
    if not isinstance(step, Stage):
        return step if cfg.wanted(step.id) else None
    ids = {load.id for load in step.loads if cfg.wanted(load.id)}
    for load in step.loads:
        # The storm's GETs are compared with the same GETs measured just before it.
        if isinstance(load, Storm) and load.id in ids and load.beside.ceiling:
            ids.add(load.beside.ceiling)
    loads = tuple(load for load in step.loads if load.id in ids)
    return replace(step, loads=loads) if loads else None


def ceilings(cfg: Config, first_pgbench_post: int) -> list[Step]:
    main = cfg.main
    hot = tokens_env(main, hot=cfg.hot, ids="hot")
    cores = os.cpu_count() or 1
    return [
        Stage(
            Server("ceiling", "ceiling", main.db),
            (
                Wrk("ceiling_bare", "Ceiling: bare Sanic handler, same JSON",
                    {**hot, "BENCH_PATH": "/bare/{id}"}),
                Wrk("ceiling_redis", "Ceiling: Sanic + one Redis GET",
                    {**hot, "BENCH_PATH": "/redis/{id}"}),
            ),
        ),
        Pgbench("pg_get_user", "Ceiling: pgbench api.get_user", "get_user.sql", main),
        Pgbench("pg_get_post", "Ceiling: pgbench api.get_post", "get_post.sql", main),
        Pgbench("pg_feed", "Ceiling: pgbench api.user_feed (default page)", "feed.sql", main),
        Pgbench("pg_feed_filtered", "Ceiling: pgbench api.user_feed (tags + search)",
                "feed_filtered.sql", main),
        Pgbench("pg_create_post", "Ceiling: pgbench api.create_post", "create_post.sql", main,
                writes=True),
        # As postgres: the script reads each post's current version.
        Pgbench("pg_update_post", "Ceiling: pgbench api.update_post", "update_post.sql", main,
                user="postgres", defines={"first_post": first_pgbench_post}, writes=True),
        Bcrypt("ceiling_bcrypt", f"Ceiling: bcrypt cost {BCRYPT_COST} on {cores} cores", cores),
    ]  # fmt: skip


def service(cfg: Config) -> list[Stage]:
    main = cfg.main
    everyone = tokens_env(main)
    get_user = {**tokens_env(main, hot=cfg.hot, ids="hot"), "BENCH_PATH": "/v1/users/{id}"}
    post = (
        '{"title": "Benchmark post", "content": "Written by wrk; removed when the next run'
        ' starts.", "tags": ["bench"]}'
    )
    # Reads first, then writes, then the GETs the login storm is compared with, then the storm
    # (its hashes outlive the run: the service is restarted after it).
    cached: tuple[Wrk | Storm, ...] = (
        Wrk("feed", "GET /v1/users/feed, default page",
            {**everyone, "BENCH_PATH": "/v1/users/feed"},
            ceiling="pg_feed", warmup_seconds=10,  # the first load: fills the user cache
            note=f"{cfg.token_count(main):,} random users, following 50"),
        *feeds(cfg),
        Wrk("feed_filtered", f"GET /v1/users/feed{FILTER_QUERY}",
            {**everyone, "BENCH_PATH": "/v1/users/feed" + FILTER_QUERY},
            ceiling="pg_feed_filtered"),
        Wrk("get_post", "GET /v1/posts/{id}",
            {**everyone, "BENCH_PATH": "/v1/posts/{id}", "BENCH_IDS": "range",
             "BENCH_ID_MAX": str(main.posts)},
            ceiling="pg_get_post"),
        Wrk("create_post", "POST /v1/posts",
            {**everyone, "BENCH_METHOD": "POST", "BENCH_PATH": "/v1/posts", "BENCH_BODY": post},
            ceiling="pg_create_post", warmup=False, writes=True),
        Wrk("patch_post", "PATCH /v1/posts/{id} (right version)", {},
            ceiling="pg_update_post", note="each post on one connection at a time",
            script="patch.lua", warmup=False, writes=True),
        *fan_out_writes(cfg, post),
        Wrk("get_user_cached", "GET /v1/users/{id}, warm cache", get_user,
            ceiling="ceiling_redis", note=f"{cfg.hot:,} callers and targets, all cached"),
        Storm(
            storm=Wrk("login",
                      f"POST /v1/auth/login (bcrypt {BCRYPT_COST}), "
                      f"{cfg.login_connections} connections",
                      {}, ceiling="ceiling_bcrypt", note="beside the GETs below",
                      script="login.lua", warmup=False, connections=cfg.login_connections,
                      threads=1),
            beside=Wrk("get_user_during_login", "GET /v1/users/{id}, warm cache, during logins",
                       get_user, ceiling="get_user_cached",
                       note="ratio to the same GETs without logins", warmup=False),
        ),
    )  # fmt: skip
    uncached = Wrk(
        "get_user_uncached", "GET /v1/users/{id}, cache off",
        {**everyone, "BENCH_PATH": "/v1/users/{id}", "BENCH_IDS": "range",
         "BENCH_ID_MAX": str(main.users)},
        ceiling="pg_get_user", note="REDIS_URL empty: caller and target both read from PostgreSQL",
    )  # fmt: skip
    quiet = Wrk(
        "get_user_no_access_log", "GET /v1/users/{id}, warm cache, ACCESS_LOG=false", get_user,
        ceiling="ceiling_redis", note="experiment: the warm-cache row without the access log",
    )  # fmt: skip
    return [
        Stage(Server("service", "service", main.db, 0), cached),
        Stage(Server("service", "service_nocache", main.db, None), (uncached,)),
        Stage(Server("service", "service_quiet", main.db, 0, {"ACCESS_LOG": "false"}), (quiet,)),
        Stage(Server("service", "service_edge", main.db, 0), junk(cfg)),
    ]  # fmt: skip


# Paced probes: what a user meets while the junk arrives, not a saturated queue of their own.
PROBE_CONNECTIONS, PROBE_PACE_MS = 4, "10"
JUNK_CONNECTIONS = 2


def junk(cfg: Config) -> tuple[Wrk | Storm, ...]:
    """/livez and the feed, paced, alone and then beside clients posting 1 MiB JSON bodies of
    ~131,000 unknown keys to the login without a token, as fast as they are answered (the
    rate limiter is off in the bench, as for every row): what an error costs the others."""
    callers = tokens_env(cfg.main)  # request.lua reads them even for requests without a token
    probes = {
        "livez": ("GET /livez", {**callers, "BENCH_PATH": "/livez", "BENCH_AUTH": "none"}),
        "feed": ("GET /v1/users/feed", {**callers, "BENCH_PATH": "/v1/users/feed"}),
    }
    loads: list[Wrk | Storm] = []
    for name, (title, env) in probes.items():
        paced = {**env, "BENCH_DELAY_MS": PROBE_PACE_MS}
        shape = f"{PROBE_CONNECTIONS} connections, each every {PROBE_PACE_MS} ms"
        alone = Wrk(
            f"{name}_paced", f"{title}, {shape}", paced, connections=PROBE_CONNECTIONS, threads=1
        )
        loads += [
            alone,
            Storm(
                storm=Wrk(
                    f"junk_beside_{name}",
                    f"POST /v1/auth/login, 1 MiB of unknown keys, {JUNK_CONNECTIONS} connections",
                    {},
                    note=f"beside {title}",
                    script="junk.lua",
                    warmup=False,
                    connections=JUNK_CONNECTIONS,
                    threads=1,
                ),
                beside=Wrk(
                    f"{name}_beside_junk",
                    f"{title}, {shape}, beside junk bodies",
                    paced,
                    ceiling=alone.id,
                    note="ratio to the same probes alone",
                    warmup=False,
                    connections=PROBE_CONNECTIONS,
                    threads=1,
                ),
                id=f"junk_{name}",
            ),
        ]
    return tuple(loads)  # fmt: skip


def peer(cfg: Config) -> Stage:
    main = cfg.main
    everyone = {**tokens_env(main), "BENCH_METHOD": "POST"}
    feed = (
        '{"p_user_id": {uid}, "p_limit": 20, "p_offset": 0, "p_sort": "desc",'
        ' "p_tags": null, "p_search": null, "p_since": null, "p_until": null}'
    )
    return Stage(
        Server("postgrest", "postgrest", main.db),
        (
            Wrk("postgrest_get_user", "PostgREST POST /rpc/get_user (peer)",
                {**everyone, "BENCH_PATH": "/rpc/get_user", "BENCH_IDS": "range",
                 "BENCH_ID_MAX": str(main.users), "BENCH_BODY": '{"p_user_id": {id}}'},
                ceiling="pg_get_user", note="same bearer tokens, anon role gosocial_app"),
            Wrk("postgrest_feed", "PostgREST POST /rpc/user_feed (peer)",
                {**everyone, "BENCH_PATH": "/rpc/user_feed", "BENCH_BODY": feed},
                ceiling="pg_feed", note="the caller's feed, default page"),
        ),
    )  # fmt: skip


def growth(cfg: Config) -> list[Step]:
    """The feed at the smaller sizes, each served with its own Redis db."""
    steps: list[Step] = []
    for index, ds in enumerate(cfg.datasets[1:], start=1):
        size = f"{ds.posts // 1000}k"
        feed = Wrk(
            f"feed_{size}", f"GET /v1/users/feed, {ds.posts:,} posts",
            {**tokens_env(ds), "BENCH_PATH": "/v1/users/feed"},
            ceiling=f"pg_feed_{size}", note=f"{ds.users:,} users, {ds.follows} follows each",
        )  # fmt: skip
        ceiling = Pgbench(
            f"pg_feed_{size}", f"Ceiling: pgbench api.user_feed, {ds.posts:,} posts", "feed.sql", ds
        )
        steps.append(Stage(Server("service", f"service_{ds.db}", ds.db, index), (feed,), ceiling))
    return steps

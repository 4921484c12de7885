"""bench/REPORT.md from the files of one run: machine, versions, settings, the table, targets,
plans. The runner writes it at the end of `make bench`; render it again from a run's files with

    python -m bench.report bench/results/<run> [-o bench/REPORT.md]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.config import REPORT
from bench.record import Record, Result

BUSY_LOAD = 1.0  # a 1-minute load average above this before the run: someone else was busy
# Rows beside a storm: their latency against the same load alone is what matters, not throughput.
BESIDE_A_STORM = ("get_user_during_login", "livez_beside_junk", "feed_beside_junk")


def fmt_rps(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def fmt_ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def table(run: Record) -> list[str]:
    lines = [
        "| Scenario | req/s | p50 ms | p99 ms | errors | ceiling | ceiling req/s | ratio |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for row in run.rows.values():
        r = row.result
        if r is None:
            lines.append(f"| {row.title} | - | - | - | - | {row.note} | | |")
            continue
        ceiling = run.rows.get(row.ceiling) if row.ceiling else None
        c = ceiling.result if ceiling else None
        ratio = f"{r.rps / c.rps:.0%}" if c and c.rps else ""
        name = ceiling.title.removeprefix("Ceiling: ") if ceiling else ""
        if row.id.startswith(BESIDE_A_STORM) and c:
            # What matters here is the latency, not the throughput.
            ratio = f"p99 x{r.p99 / c.p99:.1f}" if c.p99 else ""
        errors = str(r.errors) + (f" ({r.detail})" if r.detail and row.id == "patch_post" else "")
        lines.append(
            f"| {row.title} | {fmt_rps(r.rps)} | {fmt_ms(r.p50)} | {fmt_ms(r.p99)} | {errors} "
            f"| {name} | {fmt_rps(c.rps) if c else ''} | {ratio} |"
        )
    return lines


def get(run: Record, row_id: str) -> Result | None:
    """The figures of a measured row."""
    row = run.rows.get(row_id)
    return row.result if row is not None else None


def targets(run: Record) -> list[str]:
    out = []

    def verdict(name: str, ok: bool | None, text: str) -> None:
        mark = "not measured" if ok is None else ("**met**" if ok else "**missed**")
        out.append(f"- {name}: {mark} — {text}")

    cached, redis = get(run, "get_user_cached"), get(run, "ceiling_redis")
    if cached and redis:
        ratio = cached.rps / redis.rps
        verdict(
            "cached GET /v1/users/{id} ≥ 50% of Sanic + one Redis GET",
            ratio >= 0.5,
            f"{fmt_rps(cached.rps)} vs {fmt_rps(redis.rps)} req/s = {ratio:.0%}",
        )
    else:
        verdict("cached GET /v1/users/{id} ≥ 50% of Sanic + one Redis GET", None, "")
    feed, pg_feed = get(run, "feed"), get(run, "pg_feed")
    conns = run.config.connections
    if feed:
        verdict(
            f"feed p99 ≤ 50 ms at {run.config.main.posts:,} posts with 32 connections",
            feed.p99 <= 50 and conns == 32,
            f"p99 {fmt_ms(feed.p99)} ms with {conns} connections",
        )
    if feed and pg_feed:
        ratio = feed.rps / pg_feed.rps
        verdict(
            "feed throughput ≥ 50% of pgbench on the same function",
            ratio >= 0.5,
            f"{fmt_rps(feed.rps)} vs {fmt_rps(pg_feed.rps)} = {ratio:.0%}",
        )
    during, before = get(run, "get_user_during_login"), get(run, "get_user_cached")
    if during and before:
        factor = during.p99 / before.p99
        login = get(run, "login")
        logins = f"; {fmt_rps(login.rps)} logins/s beside them" if login else ""
        verdict(
            "cached GET p99 during the login storm ≤ 3x without it",
            factor <= 3,
            f"{fmt_ms(during.p99)} ms vs {fmt_ms(before.p99)} ms = x{factor:.1f}" + logins,
        )
    for probe, what in (("livez", "/livez"), ("feed", "feed")):
        beside, alone = get(run, f"{probe}_beside_junk"), get(run, f"{probe}_paced")
        if beside and alone:
            factor = beside.p99 / alone.p99
            junk = get(run, f"junk_beside_{probe}")
            bodies = f"; {fmt_rps(junk.rps)} junk bodies/s beside them" if junk else ""
            verdict(
                f"{what} p99 beside clients sending junk bodies ≤ 2x alone (issue 20)",
                factor <= 2,
                f"{fmt_ms(beside.p99)} ms vs {fmt_ms(alone.p99)} ms = x{factor:.1f}" + bodies,
            )
    for ours_id, peer_id, what in (
        ("get_user_uncached", "postgrest_get_user", "get-user (both read PostgreSQL)"),
        ("feed", "postgrest_feed", "feed"),
    ):
        ours, peer = get(run, ours_id), get(run, peer_id)
        if ours and peer:
            verdict(
                f"{what} throughput above PostgREST's",
                ours.rps > peer.rps,
                f"{fmt_rps(ours.rps)} vs {fmt_rps(peer.rps)} req/s "
                f"(x{ours.rps / peer.rps:.2f}); p99 {fmt_ms(ours.p99)} vs "
                f"{fmt_ms(peer.p99)} ms",
            )
    if cached and (peer := get(run, "postgrest_get_user")):
        out.append(
            f"- for reference, the cached get-user: {fmt_rps(cached.rps)} req/s, "
            f"x{cached.rps / peer.rps:.2f} PostgREST's"
        )
    return out


def timeline_targets(run: Record) -> list[str]:
    """Issue 11: the materialized timeline and the service path."""
    out: list[str] = []

    def verdict(name: str, ok: bool | None, text: str = "") -> None:
        mark = "not measured" if ok is None else ("**met**" if ok else "**missed**")
        out.append(f"- {name}: {mark}" + (f" — {text}" if text else ""))

    def times(name: str, ours_id: str, base_id: str, factor: float) -> None:
        ours, base = get(run, ours_id), get(run, base_id)
        if not (ours and base):
            return verdict(name, None)
        gain = ours.rps / base.rps
        verdict(
            name,
            gain >= factor,
            f"{fmt_rps(ours.rps)} vs {fmt_rps(base.rps)} req/s = x{gain:.2f}; "
            f"p99 {fmt_ms(ours.p99)} vs {fmt_ms(base.p99)} ms",
        )

    def p99_within(name: str, ours_id: str, base_id: str, factor: float) -> None:
        ours, base = get(run, ours_id), get(run, base_id)
        if not (ours and base):
            return verdict(name, None)
        verdict(
            name,
            ours.p99 <= factor * base.p99,
            f"p99 {fmt_ms(ours.p99)} vs {fmt_ms(base.p99)} ms = x{ours.p99 / base.p99:.2f}",
        )

    times("feed (following 50) ≥ 1.25x its v1.0 self", "feed", "feed_v1", 1.25)
    times("feed ahead of PostgREST calling the same function", "feed", "postgrest_feed", 1.0)
    times("feed throughput ≥ 80% of GET /v1/posts/{id}", "feed", "get_post", 0.8)
    feed = get(run, "feed")
    verdict(
        "feed p99 ≤ 30 ms at 32 connections",
        None if feed is None else feed.p99 <= 30,
        "" if feed is None else f"p99 {fmt_ms(feed.p99)} ms",
    )
    times("readers following 500 ≥ 5x the v1.0 self", "feed_500", "feed_500_v1", 5)
    times("readers following 5,000 ≥ 30x the v1.0 self", "feed_5000", "feed_5000_v1", 30)
    p99_within("following 5,000: p99 within 1.5x of following 50", "feed_5000", "feed", 1.5)
    p99_within(
        "page 100 by cursor: p99 within 1.5x of page 1", "feed_500_cursor_p100", "feed_500", 1.5
    )
    for load in ("post_followers_10", "post_followers_1000", "post_followers_10000",
                 "post_followers_50000", "follow"):  # fmt: skip
        result = get(run, load)
        verdict(
            f"{run.rows[load].title if load in run.rows else load}: p99 ≤ 50 ms",
            None if result is None else result.p99 <= 50,
            "" if result is None else f"p99 {fmt_ms(result.p99)} ms, {fmt_rps(result.rps)} req/s",
        )
    times(
        "uncached GET /v1/users/{id} ahead of PostgREST", "get_user_uncached",
        "postgrest_get_user", 1.0,
    )  # fmt: skip
    times("cached GET /v1/users/{id} ≥ 70% of Sanic + one Redis GET", "get_user_cached",
          "ceiling_redis", 0.7)  # fmt: skip
    out += [f"- {key}: {value}" for key, value in run.measures.items()]
    return out


def observations(run: Record) -> list[str]:
    out: list[str] = []
    cached, quiet = get(run, "get_user_cached"), get(run, "get_user_no_access_log")
    if cached and quiet:
        gain = quiet.rps / cached.rps - 1
        out.append(
            f"- Access log: the warm-cache GET serves {fmt_rps(quiet.rps)} req/s with "
            f"ACCESS_LOG=false against {fmt_rps(cached.rps)} with it ({gain:+.0%})."
        )
    bare, redis = get(run, "ceiling_bare"), get(run, "ceiling_redis")
    if bare and redis:
        out.append(
            f"- One Redis round trip costs the bare handler "
            f"{1 - redis.rps / bare.rps:.0%} of its throughput "
            f"({fmt_rps(bare.rps)} → {fmt_rps(redis.rps)} req/s); the "
            "authenticated GET makes one (an MGET of the caller and the target)."
        )
    growth = [
        (
            ds.posts,
            get(run, f"feed_{ds.posts // 1000}k") or get(run, "feed"),
            get(run, f"pg_feed_{ds.posts // 1000}k") or get(run, "pg_feed"),
        )
        for ds in sorted(run.config.datasets, key=lambda d: d.posts)
    ]
    measured = [(posts, f, p) for posts, f, p in growth if f and p]
    if len(measured) == len(growth):
        out.append("")
        out.append("Feed cost growth (same follows and posts per user at every size):")
        out.append("")
        out.append("| posts | service req/s | p50 ms | p99 ms | pgbench tps | pgbench p50 | p99 |")
        out.append("|---:|---:|---:|---:|---:|---:|---:|")
        for posts, f, p in measured:
            out.append(
                f"| {posts:,} | {fmt_rps(f.rps)} | {fmt_ms(f.p50)} | "
                f"{fmt_ms(f.p99)} | {fmt_rps(p.rps)} | {fmt_ms(p.p50)} | "
                f"{fmt_ms(p.p99)} |"
            )
    return out


def render(run: Record) -> str:
    cfg = run.config
    # The load at the start only: by the end the run's own processes account for the load.
    busy = bool(run.load) and run.load[0].one > BUSY_LOAD
    lines = [
        "# GoSocial benchmark report",
        "",
        "Written by `make bench` (bench/run.sh, bench/runner.py); raw outputs in "
        f"`bench/results/{run.name}/`. Every ceiling and the peer were measured in this "
        "same run on this same machine, with the load generator on it too: compare ratios "
        "within one run, not absolute numbers across runs (noise ±15% or more).",
        "",
        "## Machine and versions",
        "",
    ]
    lines += [f"- {key}: {value}" for key, value in run.facts.items()]
    lines += [
        f"- {s.when}: load average {s.one:.2f} (1 min), {s.five:.2f} (5 min)" for s in run.load
    ]
    if busy:
        lines.append(
            "- **The machine was busy with other work when this run started (load average above "
            f"{BUSY_LOAD:g}): the numbers are noisy; the ratios hold better than the absolutes.**"
        )
    main = cfg.main
    lines += [
        "",
        "## Settings",
        "",
        f"- Data: {main.users:,} users, {main.posts:,} posts, {main.follows} follows per user, "
        f"{main.posts // 2:,} comments (db/seed/seed.sql); cost-growth databases: "
        + ", ".join(f"{d.users:,} users / {d.posts:,} posts" for d in cfg.datasets[1:]),
        f"- Service: `python -m api`, WORKERS={cfg.workers}, DB_POOL_MIN=DB_POOL_MAX="
        f"{cfg.db_pool} per worker, RATE_LIMIT_ENABLED=false, MAILER=console, CACHE_TTL=3600, "
        "BCRYPT_COST=12, access log as configured by default unless a row says otherwise",
        f"- Load: wrk, {cfg.threads} threads, {cfg.connections} connections (logins: "
        f"{cfg.login_connections} connections, 1 thread), {cfg.warmup} s warm-up then "
        f"{cfg.duration} s measured per scenario; callers are {cfg.tokens:,} random seeded users "
        f"with access tokens signed like api/security.py; the warm-cache rows use the first "
        f"{cfg.hot:,} of them as callers and targets",
        f"- pgbench: {cfg.pgbench_clients} clients (the service's total pool), 2 threads, "
        "prepared statements, as role gosocial (update_post as postgres, to read versions)",
        f"- Ceiling app: bench/ceiling_app.py, {cfg.workers} workers, no middleware, no access log",
        f"- PostgREST: db-pool {cfg.pgbench_clients}, anon role gosocial_app, same JWT secret "
        "and tokens, schema api",
        f"- PostgreSQL: `{cfg.pg_settings.strip()}`",
        "",
        "## Results",
        "",
        *table(run),
        "",
        "Ratio: requests/s of the row over requests/s of its ceiling (the login-storm row: "
        "its p99 over the p99 of the same GETs without logins). Errors: connection errors, "
        "timeouts and non-2xx answers.",
        "",
        "## Targets (issue 11: the timeline, the service path)",
        "",
        *timeline_targets(run),
        "",
        "## Earlier targets (issue 6)",
        "",
        *targets(run),
        "",
        "## Observations from this run",
        "",
        *observations(run),
        "",
        f"## EXPLAIN (ANALYZE, BUFFERS) of the feed at {main.posts:,} posts",
        "",
        "The plan of the query api.user_feed runs, as auto_explain reports it "
        "(second call, warm buffers).",
        "",
    ]
    for label, text in run.explains:
        lines += [f"### {label}", "", "```", text, "```", ""]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run", type=Path, help="a run's directory: bench/results/<run>")
    parser.add_argument("-o", "--out", default=str(REPORT), help="where to write it; - for stdout")
    args = parser.parse_args()
    text = render(Record.read(args.run))
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text)


if __name__ == "__main__":
    main()

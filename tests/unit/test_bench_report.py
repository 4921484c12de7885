"""bench/REPORT.md rendered again from a run's files, without running the benchmark.

The fixture (tests/data/bench-results/20261124T113250Z/) holds the figures of the run of
2026-11-24 in the shape the runner writes them; the ratios, the verdicts and the growth table
must follow from those figures.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bench.record import LoadAverage, Record, Row
from bench.report import render

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "tests" / "data" / "bench-results" / "20261124T113250Z"


@pytest.fixture(scope="module")
def record() -> Record:
    return Record.read(RUN)


@pytest.fixture(scope="module")
def report(record: Record) -> str:
    return render(record)


def table(text: str, header: str) -> list[list[str]]:
    """The cells of the body of the markdown table whose header line starts with `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def section(text: str, heading: str) -> str:
    return text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]


def number(cell: str) -> float:
    return float(cell.replace(",", ""))


def test_each_row_against_its_ceiling(record: Record, report: str) -> None:
    rows = table(report, "| Scenario |")
    assert len(rows) == 25
    for cells, row in zip(rows, record.rows.values(), strict=True):
        title, rps, _p50, p99, _errors, ceiling, ceiling_rps, ratio = cells
        assert row.result is not None
        assert title == row.title
        assert number(rps) == pytest.approx(row.result.rps, rel=0.01)
        assert number(p99) == pytest.approx(row.result.p99, rel=0.01)
        if row.ceiling is None:
            assert (ceiling, ceiling_rps, ratio) == ("", "", "")
            continue
        of = record.rows[row.ceiling]
        assert of.result is not None
        assert ceiling == of.title.removeprefix("Ceiling: ")
        assert number(ceiling_rps) == pytest.approx(of.result.rps, rel=0.01)
        if row.id == "get_user_during_login":  # latency, not throughput, is what it costs
            factor = row.result.p99 / of.result.p99
            assert float(ratio.removeprefix("p99 x")) == pytest.approx(factor, abs=0.05)
        else:
            share = 100 * row.result.rps / of.result.rps
            assert float(ratio.removesuffix("%")) == pytest.approx(share, abs=0.5)
    by_title = {cells[0]: cells for cells in rows}
    feed = by_title["GET /v1/users/feed, default page"]
    assert feed[1:] == ["1,041", "30.05", "55.73", "0", "pgbench api.user_feed (default page)",
                        "2,558", "41%"]  # fmt: skip
    assert by_title["PATCH /v1/posts/{id} (right version)"][4] == (
        "0 (ok 19098, conflicts 0, other 0, starved 0)"
    )
    assert by_title["GET /v1/users/{id}, warm cache, during logins"][7] == "p99 x1.5"


def test_targets_met_or_missed_as_the_figures_say(record: Record, report: str) -> None:
    targets = section(report, "## Earlier targets (issue 6)").strip().splitlines()
    assert targets == [
        "- cached GET /v1/users/{id} ≥ 50% of Sanic + one Redis GET: **met** — "
        "4,513 vs 6,837 req/s = 66%",
        "- feed p99 ≤ 50 ms at 1,000,000 posts with 32 connections: **missed** — "
        "p99 55.73 ms with 32 connections",
        "- feed throughput ≥ 50% of pgbench on the same function: **missed** — "
        "1,041 vs 2,558 = 41%",
        "- cached GET p99 during the login storm ≤ 3x without it: **met** — "
        "16.33 ms vs 11.00 ms = x1.5; 1.6 logins/s beside them",
        "- get-user (both read PostgreSQL) throughput above PostgREST's: **missed** — "
        "2,313 vs 2,677 req/s (x0.86); p99 23.57 vs 24.51 ms",
        "- feed throughput above PostgREST's: **missed** — "
        "1,041 vs 1,159 req/s (x0.90); p99 55.73 vs 57.73 ms",
        "- for reference, the cached get-user: 4,513 req/s, x1.69 PostgREST's",
    ]
    # A faster feed turns its verdicts around.
    feed = record.rows["feed"]
    assert feed.result is not None
    faster = replace(feed, result=replace(feed.result, rps=1400.0, p99=45.0))
    text = section(
        render(replace(record, rows={**record.rows, "feed": faster})),
        "## Earlier targets (issue 6)",
    )
    assert "with 32 connections: **met** — p99 45.00 ms" in text
    assert "same function: **met** — 1,400 vs 2,558 = 55%" in text
    assert "feed throughput above PostgREST's: **met** — 1,400 vs 1,159 req/s (x1.21)" in text


def test_feed_growth_by_size(record: Record, report: str) -> None:
    rows = table(report, "| posts |")
    assert [row[0] for row in rows] == ["10,000", "100,000", "1,000,000"]
    for cells, (service, ceiling) in zip(
        rows, [("feed_10k", "pg_feed_10k"), ("feed_100k", "pg_feed_100k"), ("feed", "pg_feed")],
        strict=True,
    ):  # fmt: skip
        s, c = record.rows[service].result, record.rows[ceiling].result
        assert s is not None and c is not None
        figures = [s.rps, s.p50, s.p99, c.rps, c.p50, c.p99]
        assert [number(cell) for cell in cells[1:]] == pytest.approx(figures, rel=0.01)


def test_unmeasured_row_and_busy_machine(record: Record, report: str) -> None:
    assert "busy with other work" not in report  # 0.13 when it started, 7.95 at the end
    skipped = Row(
        "postgrest_get_user", "PostgREST POST /rpc/get_user (peer)", None, note="no binary"
    )
    text = render(
        replace(
            record,
            rows={**record.rows, skipped.id: skipped},
            load=[LoadAverage("start", 1.5, 1.2), *record.load[1:]],
        )
    )
    assert "| PostgREST POST /rpc/get_user (peer) | - | - | - | - | no binary | | |" in text
    assert "get-user (both read PostgreSQL) throughput above PostgREST's" not in text
    assert "- **The machine was busy with other work when this run started" in text


def test_what_the_runner_writes_renders_the_same(record: Record, tmp_path: Path) -> None:
    copy = Record(tmp_path / record.name, record.config, facts=record.facts, load=record.load)
    copy.explains = record.explains
    copy.dir.mkdir()
    for row in record.rows.values():
        copy.add(row)
    copy.save()
    assert render(Record.read(copy.dir)) == render(record)


def test_rendered_again_from_the_command_line(report: str, tmp_path: Path) -> None:
    out = tmp_path / "REPORT.md"
    subprocess.run(
        [sys.executable, "-m", "bench.report", str(RUN), "-o", str(out)], cwd=ROOT, check=True
    )
    assert out.read_text() == report
    assert "raw outputs in `bench/results/20261124T113250Z/`" in report


def test_timeline_targets_follow_the_figures(record: Record) -> None:
    """Issue 11's verdicts: the timeline against its v1.0 self, PostgREST and a point read."""
    feed = record.rows["feed"]
    assert feed.result is not None
    rows = {
        **record.rows,
        "feed": replace(feed, result=replace(feed.result, rps=2000.0, p99=25.0)),
        "feed_v1": replace(feed, id="feed_v1", result=replace(feed.result, rps=1000.0)),
        "post_followers_10000": Row(
            "post_followers_10000", "POST /v1/posts, author with 10,000 followers",
            replace(feed.result, p99=61.0),
        ),
    }  # fmt: skip
    measures = {"timeline bytes per user": "78.0 kB (95 bytes per entry)"}
    text = section(
        render(replace(record, rows=rows, measures=measures)),
        "## Targets (issue 11: the timeline, the service path)",
    )
    assert "≥ 1.25x its v1.0 self: **met** — 2,000 vs 1,000 req/s = x2.00" in text
    assert "ahead of PostgREST calling the same function: **met** — 2,000 vs 1,159" in text
    assert "≥ 80% of GET /v1/posts/{id}: **met** — 2,000 vs 2,393 req/s = x0.84" in text
    assert "feed p99 ≤ 30 ms at 32 connections: **met** — p99 25.00 ms" in text
    assert "10,000 followers: p99 ≤ 50 ms: **missed** — p99 61.00 ms" in text
    assert "readers following 500 ≥ 5x the v1.0 self: not measured" in text
    assert "- timeline bytes per user: 78.0 kB (95 bytes per entry)" in text

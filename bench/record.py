"""What a run writes under bench/results/<run>/, and reads back to render the report.

    results.jsonl  one row per line, appended once measured (a run that breaks keeps its rows)
    run.json       the configuration, the machine and versions, the load average, the feed plans,
                   measures that are not loads (timeline storage, fan-out catch-up)

The raw outputs of the tools (<row id>.json, .wrk.txt, .pgbench.txt) and the server logs sit
beside them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.config import Config

ROWS = "results.jsonl"
RUN = "run.json"


@dataclass(frozen=True)
class Result:
    """One measured load: requests/s and latency in milliseconds."""

    rps: float
    p50: float
    p99: float
    requests: int
    errors: int
    detail: str = ""


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    result: Result | None  # None: not measured, `note` says why
    ceiling: str | None = None  # id of the row it is compared to
    note: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        result = Result(**data["result"]) if data["result"] else None
        return cls(data["id"], data["title"], result, data["ceiling"], data["note"])


@dataclass(frozen=True)
class LoadAverage:
    when: str
    one: float  # 1 minute
    five: float  # 5 minutes


@dataclass
class Record:
    dir: Path
    config: Config
    rows: dict[str, Row] = field(default_factory=dict)  # in the order they were measured
    facts: dict[str, str] = field(default_factory=dict)  # machine and versions
    measures: dict[str, str] = field(default_factory=dict)  # storage, fan-out catch-up
    load: list[LoadAverage] = field(default_factory=list)
    explains: list[tuple[str, str]] = field(default_factory=list)  # (label, plan)

    @property
    def name(self) -> str:
        return self.dir.name

    def add(self, row: Row) -> None:
        self.rows[row.id] = row
        with (self.dir / ROWS).open("a") as f:
            f.write(json.dumps(asdict(row)) + "\n")

    def save(self) -> None:
        """Everything but the rows, which `add` wrote as they came."""
        run = {
            "config": self.config.to_json(),
            "facts": self.facts,
            "measures": self.measures,
            "load": [asdict(sample) for sample in self.load],
            "explains": [list(explain) for explain in self.explains],
        }
        (self.dir / RUN).write_text(json.dumps(run, indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def read(cls, path: Path) -> Record:
        run = json.loads((path / RUN).read_text())
        lines = (path / ROWS).read_text().splitlines()
        rows = [Row.from_json(json.loads(line)) for line in lines if line.strip()]
        return cls(
            dir=path,
            config=Config.from_json(run["config"]),
            rows={row.id: row for row in rows},
            facts=run["facts"],
            measures=run.get("measures", {}),
            load=[LoadAverage(**sample) for sample in run["load"]],
            explains=[(label, plan) for label, plan in run["explains"]],
        )

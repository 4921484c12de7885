"""The knobs of a benchmark run (environment variables set by bench/run.sh or by hand)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
REPORT = BENCH / "REPORT.md"

BCRYPT_COST = 12  # as real accounts have (the seed hashes at cost 4)

INT_KNOBS = {
    "duration": "BENCH_DURATION",
    "warmup": "BENCH_WARMUP",
    "workers": "WORKERS",
    "connections": "BENCH_CONNECTIONS",
    "threads": "BENCH_THREADS",
    "db_pool": "BENCH_DB_POOL",
    "login_connections": "BENCH_LOGIN_CONNECTIONS",
    "tokens": "BENCH_TOKENS",
    "hot": "BENCH_HOT",
    "pg_port": "BENCH_PG_PORT",
    "redis_port": "BENCH_REDIS_PORT",
    "service_port": "BENCH_SERVICE_PORT",
    "ceiling_port": "BENCH_CEILING_PORT",
    "postgrest_port": "BENCH_POSTGREST_PORT",
    "profile": "BENCH_PROFILE",
}


@dataclass(frozen=True)
class Dataset:
    """A seeded database: the first is the benchmark size, the others the cost-growth sizes."""

    db: str
    users: int
    posts: int
    follows: int

    @classmethod
    def parse(cls, spec: str) -> Dataset:
        db, users, posts, follows = spec.split(":")
        return cls(db, int(users), int(posts), int(follows))


@dataclass(frozen=True)
class Config:
    duration: int = 10
    warmup: int = 2
    workers: int = 2
    connections: int = 32
    threads: int = 2
    db_pool: int = 8
    login_connections: int = 8
    tokens: int = 10000
    hot: int = 1000
    pg_port: int = 55499
    redis_port: int = 56399
    service_port: int = 18080
    ceiling_port: int = 18090
    postgrest_port: int = 18100
    postgrest: str = ""
    pg_settings: str = ""
    only: frozenset[str] = frozenset()  # BENCH_ONLY: scenario ids, for trial runs
    # BENCH_PROFILE=1: py-spy samples the service during each measured run (<id>.pyspy.txt);
    # the sampler takes CPU from the load, so such a run's numbers are not the report's.
    profile: int = 0
    datasets: tuple[Dataset, ...] = (Dataset("gosocial", 100000, 1000000, 50),)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Config:
        knobs: dict[str, Any] = {k: int(env[v]) for k, v in INT_KNOBS.items() if env.get(v)}
        if datasets := env.get("BENCH_DATASETS", "").split():
            knobs["datasets"] = tuple(Dataset.parse(spec) for spec in datasets)
        return cls(
            postgrest=env.get("BENCH_POSTGREST", ""),
            pg_settings=env.get("BENCH_PG_SETTINGS", ""),
            only=frozenset(s.strip() for s in env.get("BENCH_ONLY", "").split(",") if s.strip()),
            **knobs,
        )

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "only": sorted(self.only)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Config:
        # Keys a later version dropped are ignored, so older runs can still be rendered.
        known = {f.name for f in fields(cls)} & data.keys()
        values = {k: data[k] for k in known}
        if "only" in values:
            values["only"] = frozenset(values["only"])
        if "datasets" in values:
            values["datasets"] = tuple(Dataset(**d) for d in values["datasets"])
        return cls(**values)

    @property
    def main(self) -> Dataset:
        return self.datasets[0]

    @property
    def pgbench_clients(self) -> int:
        # The same number of server connections the service's pools hold.
        return self.workers * self.db_pool

    def token_count(self, ds: Dataset) -> int:
        """Callers with an access token: seeded users other than the admin and the moderator."""
        return min(self.tokens, ds.users - 2)

    def wanted(self, scenario: str) -> bool:
        return not self.only or scenario in self.only

    def db_url(self, db: str, user: str = "gosocial") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.pg_port}/{db}"

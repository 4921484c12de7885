"""Runs every db/tests/*.sql pgTAP file as one pytest item, failing with its TAP diagnostics."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import testing.postgresql

from tests.services import ROOT

PGTAP_FILES = sorted((ROOT / "db" / "tests").glob("*.sql"))


@pytest.fixture(scope="module")
def pristine(
    pg_factory: testing.postgresql.PostgresqlFactory,
) -> Iterator[testing.postgresql.Postgresql]:
    """A cluster of its own, freshly deployed: some files count every row of a table, and the
    session cluster holds whatever the HTTP tests left (each file still rolls itself back)."""
    pg = pg_factory()
    yield pg
    pg.stop()


@pytest.mark.parametrize("path", PGTAP_FILES, ids=[p.stem for p in PGTAP_FILES])
def test_pgtap(path: Path, pristine: testing.postgresql.Postgresql) -> None:
    dsn = pristine.dsn()
    proc = subprocess.run(
        [
            "pg_prove",
            "--verbose",
            "--failures",
            "-h",
            dsn["host"],
            "-p",
            str(dsn["port"]),
            "-U",
            dsn["user"],
            "-d",
            dsn["database"],
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        # Keep what explains the failure: failing assertions and their '#' diagnostics.
        lines = (proc.stdout + proc.stderr).splitlines()
        failing = [line for line in lines if line.startswith(("not ok", "#", "psql:", "ERROR"))]
        pytest.fail("\n".join(failing or lines), pytrace=False)

"""Runs every db/tests/*.sql pgTAP file as one pytest item, failing with its TAP diagnostics."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import testing.postgresql

from tests.services import ROOT

PGTAP_FILES = sorted((ROOT / "db" / "tests").glob("*.sql"))


@pytest.mark.parametrize("path", PGTAP_FILES, ids=[p.stem for p in PGTAP_FILES])
def test_pgtap(path: Path, postgresql: testing.postgresql.Postgresql) -> None:
    dsn = postgresql.dsn()
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

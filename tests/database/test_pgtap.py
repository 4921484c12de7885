"""Runs every db/tests/*.sql pgTAP file as one pytest item, failing with its TAP diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import testing.postgresql

from tests.helpers import PGTAP_FILES, pg_prove


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
    failure = pg_prove(dsn, dsn["database"], [path])
    if failure:
        pytest.fail(failure, pytrace=False)

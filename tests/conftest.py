from __future__ import annotations

from collections.abc import Iterator

import pytest
import testing.postgresql

from tests.services import postgresql_factory, redis_server


@pytest.fixture(scope="session")
def pg_factory() -> Iterator[testing.postgresql.PostgresqlFactory]:
    factory = postgresql_factory()
    yield factory
    factory.clear_cache()


@pytest.fixture(scope="session")
def postgresql(pg_factory: testing.postgresql.PostgresqlFactory) -> Iterator[testing.postgresql.Postgresql]:
    """One deployed cluster for the session; tests keep to their own rows or roll back."""
    pg = pg_factory()
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url

"""Fixtures, the tiers and the run-wide log check (helpers are in tests/helpers.py, processes
in tests/services.py)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import testing.postgresql

from tests import leakcheck
from tests.helpers import (
    Account,
    Database,
    app_login,
    base_env,
    check_response,
    signup,
    smtp_env,
)
from tests.services import Mailbox, api, postgresql_factory, redis_process, smtp_server

# The tiers, one folder each, slowest first.
TIERS = ("cluster", "container", "service", "database", "unit")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its folder's tier (`-m "not cluster"`); a test outside a tier
    folder is an error, so that `make test-quick` cannot miss one silently."""
    stray = sorted({str(item.path) for item in items if item.path.parent.name not in TIERS})
    if stray:
        raise pytest.UsageError(f"tests outside a tier folder ({', '.join(TIERS)}): {stray}")
    for item in items:
        item.add_marker(item.path.parent.name)
    # With -n, the longest modules start first so that none is left running alone at the end:
    # the cluster tier, then modules marked slow, then the rest by tier (stable within each).
    items.sort(
        key=lambda item: (
            item.path.parent.name != "cluster",
            item.get_closest_marker("slow") is None,
            TIERS.index(item.path.parent.name),
        )
    )


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the process running the session, not a worker
        leakcheck.share()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Each process saves the secrets and logs it saw; the session's own process then greps
    every log of the run for every secret of the run (after its workers have saved theirs)."""
    config = session.config
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    factory = getattr(config, "_tmp_path_factory", None)
    leakcheck.save(worker, factory.getbasetemp() if factory else None)
    if worker == "main":
        found = leakcheck.final_check()
        if found:
            config.stash[_LEAKS] = found
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    found = config.stash.get(_LEAKS, [])
    if found:
        terminalreporter.section("secrets in server logs", red=True)
        for log, secret in found[:50]:
            terminalreporter.write_line(f"{secret} in {log}")


_LEAKS = pytest.StashKey[list[tuple[str, str]]]()


@pytest.fixture(scope="session")
def pg_factory() -> Iterator[testing.postgresql.PostgresqlFactory]:
    factory = postgresql_factory()
    yield factory
    factory.clear_cache()


@pytest.fixture(scope="session")
def postgresql(
    pg_factory: testing.postgresql.PostgresqlFactory,
) -> Iterator[testing.postgresql.Postgresql]:
    """One deployed cluster for the session; tests keep to their own rows or roll back."""
    pg = pg_factory()
    yield pg
    pg.stop()


@pytest.fixture(scope="session")
def db(postgresql: testing.postgresql.Postgresql) -> Database:
    return Database(postgresql.url())


@pytest.fixture(scope="session")
def app_database_url(postgresql: testing.postgresql.Postgresql) -> str:
    """The service's own login on the session cluster."""
    return app_login(postgresql)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_process() as redis:
        yield redis.url


@pytest.fixture(scope="session")
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        yield port, mailbox


@pytest.fixture(scope="session")
def mailbox(smtp: tuple[int, Mailbox]) -> Mailbox:
    return smtp[1]


@pytest.fixture(scope="session")
def service_env(app_database_url: str, redis_url: str, smtp: tuple[int, Mailbox]) -> dict[str, str]:
    """The session server's: real PostgreSQL, Redis and SMTP; a fast invitation sweeper."""
    return {
        **base_env(app_database_url, redis_url),
        **smtp_env(smtp[0]),
        "INVITATION_SWEEP_INTERVAL": "0.5",
    }


@pytest.fixture(scope="session")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs") / "api.log"


@pytest.fixture(scope="session")
def base_url(service_env: dict[str, str], server_log: Path) -> Iterator[str]:
    with api(service_env, server_log) as server:
        yield server.url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=base_url, timeout=30, event_hooks={"response": [check_response]}
    ) as c:
        yield c


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A synchronous client of the service's Redis, for looking at the cache."""
    r = redis.Redis.from_url(redis_url)
    try:
        yield r
    finally:
        r.close()


_names = itertools.count(1)


@pytest.fixture
def make_account(client: httpx.Client, mailbox: Mailbox, db: Database):
    """Register, activate through the mailed link, log in; optionally promote."""

    def make(role: str | None = None, prefix: str = "user") -> Account:
        n = next(_names)
        return signup(
            client,
            mailbox,
            f"{prefix}{n}_{id(client)}",
            f"{prefix}{n}.{id(client)}@example.com",
            "correct horse",
            activated=(
                lambda user_id: db.fetch(
                    "SELECT api.set_user_role(p_user_id => $1, p_role => $2)", user_id, role
                )
            )
            if role
            else None,
        )

    return make

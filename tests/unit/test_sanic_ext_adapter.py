"""api/sanic_ext_adapter.py relies on sanic-ext's internals (its docstring lists them): it is
pinned to the versions it was written for, so that an upgrade re-checks it first."""

from __future__ import annotations

from importlib.metadata import version

from api.sanic_ext_adapter import WRITTEN_FOR


def test_the_adapter_was_written_for_the_installed_versions() -> None:
    installed = {name: version(name) for name in WRITTEN_FOR}
    assert installed == WRITTEN_FOR, (
        "sanic or sanic-ext changed: re-check what api/sanic_ext_adapter.py relies on (its "
        "docstring), run tests/test_openapi.py and make gen-docs, then update WRITTEN_FOR"
    )

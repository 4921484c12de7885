"""Released sqitch changes stay as they were tagged (scripts/released.py, db/released/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import ROOT

TOOL = ROOT / "scripts" / "released.py"


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), "--root", str(root), "check"],
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_released_script_and_plan_line_is_as_tagged() -> None:
    proc = check(ROOT)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "db", tmp_path / "db")
    shutil.copy(ROOT / "sqitch.plan", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("db/functions/get_user.sql", "deploy functions/get_user"),
        ("db/revert/schema/posts.sql", "revert schema/posts"),
        ("db/verify/functions/follow_user.sql", "verify functions/follow_user"),
        # A reworked change's released version lives on under db/reworked/.
        ("db/reworked/deploy/functions/update_post@v1.0.sql", "deploy functions/update_post"),
    ],
)
def test_an_edited_released_script_is_named(copy: Path, path: str, named: str) -> None:
    with (copy / path).open("a") as f:
        f.write("-- edited after the release\n")
    proc = check(copy)
    assert proc.returncode == 1
    assert f"@v1.0: {named} differs" in proc.stderr


def test_an_edited_plan_line_before_the_tag_is_named(copy: Path) -> None:
    plan = copy / "sqitch.plan"
    plan.write_text(plan.read_text().replace("# Roles table", "# The roles table", 1))
    proc = check(copy)
    assert proc.returncode == 1
    assert "@v1.0: plan @v1.0 differs" in proc.stderr


def test_a_change_after_the_last_tag_may_still_be_edited(copy: Path) -> None:
    with (copy / "sqitch.plan").open("a") as f:
        f.write("schema/draft 2026-11-28T00:00:00Z Someone <someone@example.com> # in progress\n")
    for kind in ("", "revert/", "verify/"):
        (copy / "db" / f"{kind}schema/draft.sql").write_text("-- edited at will until tagged\n")
    assert check(copy).returncode == 0


def test_a_tag_without_a_record_fails(copy: Path) -> None:
    with (copy / "sqitch.plan").open("a") as f:
        f.write("@v9.9 2026-11-28T00:00:00Z Someone <someone@example.com> # unrecorded\n")
    proc = check(copy)
    assert proc.returncode == 1
    assert "@v9.9 has no record" in proc.stderr

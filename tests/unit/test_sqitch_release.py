"""Released sqitch changes stay as they were tagged (scripts/released.py, db/released/)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import released
from stack import ROOT

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


def released_scripts(root: Path) -> list[tuple[str, Path]]:
    """Every script a tag released, as the check names it, with where it lives now (a reworked
    change's released version under db/reworked/)."""
    steps = released.plan_steps(root)
    return [
        (f"@{tag}: {kind} {change.name}", released.script(root, steps, change, kind))
        for tag, changes in released.releases(steps).items()
        for change in changes
        for kind in released.KINDS
    ]


def test_editing_any_released_script_is_named(copy: Path) -> None:
    """Each script of every release, edited alone, fails the check, which names it."""
    scripts = released_scripts(copy)
    assert {named.split(":")[0] for named, _ in scripts} == {
        f"@{tag}" for tag in released.releases(released.plan_steps(copy))
    }
    missed = []
    for named, path in scripts:
        original = path.read_bytes()
        path.write_bytes(original + b"-- edited after the release\n")
        problems = released.check(copy)
        path.write_bytes(original)
        if problems != [f"{named} differs from the release (use sqitch rework)"]:
            missed.append(f"{path.relative_to(copy)}: {problems}")
    assert not missed, "\n".join(missed)


def test_an_edited_plan_line_before_the_tag_is_named(copy: Path) -> None:
    plan = copy / "sqitch.plan"
    plan.write_text(plan.read_text().replace("# Roles table", "# The roles table", 1))
    proc = check(copy)
    assert proc.returncode == 1
    # Every later tag's plan digest covers the line too.
    for tag in released.releases(released.plan_steps(copy)):
        assert f"@{tag}: plan @{tag} differs" in proc.stderr


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

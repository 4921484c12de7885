#!/usr/bin/env python3
"""Released sqitch changes never change: their scripts' checksums, recorded when a tag is made.

sqitch derives each change id from the plan lines before it, and a database at a tag upgrades
by running what follows the tag: a script or plan line before the last tag edited in place makes
those databases unreachable. `record TAG` writes `db/released/TAG.sha256` (the plan up to the tag
and every deploy, revert and verify script the tag released); `check` fails when anything
recorded differs, or when a tag has no record. A released change is changed by `sqitch rework`,
which moves its scripts to `db/reworked/<kind>/<change>@<tag>.sql`; `check` follows them there.

    python3 scripts/released.py record v1.1   # right after `sqitch tag v1.1` (make db-release)
    python3 scripts/released.py check         # in make test (tests/test_sqitch_release.py)
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

KINDS = ("deploy", "revert", "verify")


@dataclass(frozen=True)
class Step:
    """One line of the plan: a change (possibly a later instance of a reworked one) or a tag."""

    line: int  # 1-based, for the plan's checksum up to a tag
    name: str  # "functions/user_feed" or "@v1.0"


def plan_steps(root: Path) -> list[Step]:
    steps = []
    for n, text in enumerate((root / "sqitch.plan").read_text().splitlines(), 1):
        if text and not text.startswith(("%", "#", " ")):
            steps.append(Step(n, text.split()[0]))
    return steps


def releases(steps: list[Step]) -> dict[str, list[Step]]:
    """Each tag with the changes it released (those since the previous tag)."""
    out: dict[str, list[Step]] = {}
    pending: list[Step] = []
    for step in steps:
        if step.name.startswith("@"):
            out[step.name[1:]] = pending
            pending = []
        else:
            pending.append(step)
    return out


def script(root: Path, steps: list[Step], change: Step, kind: str) -> Path:
    """Where sqitch keeps this instance's script: in place while it is the change's latest
    instance, else under the reworked directories, named after the last tag before the rework
    (the tag that released it, or a later one when it stayed unchanged through several)."""
    later = [s.line for s in steps if s.name == change.name and s.line > change.line]
    if later:
        tag = [s.name for s in steps if s.name.startswith("@") and change.line < s.line < later[0]]
        return root / "db" / "reworked" / kind / f"{change.name}{tag[-1]}.sql"
    return root / "db" / ("" if kind == "deploy" else kind) / f"{change.name}.sql"


def plan_digest(root: Path, tag_line: int) -> str:
    lines = (root / "sqitch.plan").read_text().splitlines(keepends=True)[:tag_line]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def expected(root: Path, tag: str) -> dict[str, str]:
    """What the record of `tag` holds, computed from the files as they are now."""
    steps = plan_steps(root)
    tag_step = next(s for s in steps if s.name == f"@{tag}")
    out = {f"plan @{tag}": plan_digest(root, tag_step.line)}
    for change in releases(steps)[tag]:
        for kind in KINDS:
            path = script(root, steps, change, kind)
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
            out[f"{kind} {change.name}"] = digest
    return out


def record(root: Path, tag: str) -> Path:
    path = root / "db" / "released" / f"{tag}.sha256"
    digests = expected(root, tag)
    missing = [key for key, digest in digests.items() if digest == "missing"]
    if missing:
        raise SystemExit(f"cannot record @{tag}: no script for {', '.join(missing)}")
    path.parent.mkdir(exist_ok=True)
    lines = [f"{digest} {key}\n" for key, digest in digests.items()]
    path.write_text("".join(lines))
    return path


def check(root: Path) -> list[str]:
    """Every difference between the records and the files, as sentences (empty: all intact)."""
    problems = []
    for tag in releases(plan_steps(root)):
        path = root / "db" / "released" / f"{tag}.sha256"
        if not path.exists():
            problems.append(f"@{tag} has no record: run `make db-release` when tagging")
            continue
        recorded = dict(reversed(line.split(" ", 1)) for line in path.read_text().splitlines())
        now = expected(root, tag)
        for key in sorted(recorded.keys() | now.keys()):
            if recorded.get(key) != now.get(key):
                problems.append(f"@{tag}: {key} differs from the release (use sqitch rework)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("record").add_argument("tag")
    sub.add_parser("check")
    args = parser.parse_args()
    if args.command == "record":
        print(f"wrote {record(args.root, args.tag)}")
        return 0
    problems = check(args.root)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

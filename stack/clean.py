"""`make clean-data` (`python3 -m stack.clean [DIR]`): remove the data directory (`.data/`, or
GOSOCIAL_DATA_DIR) after stopping whatever still runs there, saying what it stops and how
much it removes.

A process runs there when its working directory or one of its open files is inside: `make
run`'s supervisor (its run.log), PostgreSQL (its data directory), redis-server and make
cluster's services (their logs). The topmost of them are stopped (a supervisor stops its
own services in order; PostgreSQL gets a fast shutdown), whatever is left after 20 s is killed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
from pathlib import Path

from stack.local import data_dir
from stack.processes import kill, wait_gone

STOP_SECONDS = 20


def running_in(directory: Path) -> dict[int, str]:
    """pid -> command line of every process (but this one) whose working directory or an
    open file is under `directory`."""
    inside = str(directory.resolve()) + "/"
    found = {}
    for proc in Path("/proc").glob("[0-9]*"):
        pid = int(proc.name)
        if pid == os.getpid():
            continue
        with contextlib.suppress(OSError):
            paths = [os.readlink(proc / "cwd")]
            paths += [os.readlink(fd) for fd in (proc / "fd").iterdir()]
            if any((path + "/").startswith(inside) for path in paths):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
                found[pid] = command or proc.name
    return found


def parent(pid: int) -> int:
    with contextlib.suppress(OSError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return 0


def stop_everything_in(directory: Path) -> None:
    found = running_in(directory)
    if not found:
        return
    top = {pid: command for pid, command in found.items() if parent(pid) not in found}
    print(f"stopping what still runs in {directory}:")
    for pid, command in sorted(top.items()):
        postmaster = command.split(" ", 1)[0].endswith("/postgres")
        print(f"  {pid} {command[:100]} ({'SIGINT: fast shutdown' if postmaster else 'SIGTERM'})")
        kill([pid], signal.SIGINT if postmaster else signal.SIGTERM)
    if not wait_gone(list(found), STOP_SECONDS):
        left = running_in(directory)
        for pid, command in sorted(left.items()):
            print(f"  {pid} {command[:100]} still runs after {STOP_SECONDS} s: SIGKILL")
        kill(list(left), signal.SIGKILL)
        wait_gone(list(left), 5)


def size(directory: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).lstat().st_size
    return total


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    directory = Path(args[0]).resolve() if args else data_dir()
    if not directory.exists():
        print(f"{directory}: nothing to remove")
        return 0
    stop_everything_in(directory)
    if left := running_in(directory):
        print(f"not removed: {sorted(left)} still run in {directory}", file=sys.stderr)
        return 1
    megabytes = size(directory) / 1e6
    shutil.rmtree(directory)
    print(f"removed {directory} ({megabytes:,.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

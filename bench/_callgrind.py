"""Instructions, not seconds: a bench's loop counted by valgrind's callgrind.

This machine's timings move by 20-30% between sittings and with every other process on its two
cores; callgrind counts the instructions a loop executes, which the load does not change (the
same total twice, one run with the other core busy). `run_counted` re-runs the calling bench
under callgrind with counting off (the set-up runs at valgrind's plain speed); the bench turns
counting on only around the loop (`counting`), and the total is read from callgrind's output.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator

_MARK = "HAJIBOT_UNDER_CALLGRIND"


def under_callgrind() -> bool:
    return os.environ.get(_MARK) == "1"


def count(argv: list[str]) -> tuple[str, int]:
    """Run `python argv...` under callgrind: its output and the instructions counted.
    RuntimeError when valgrind is missing or the run fails."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("valgrind is not installed (Debian package valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        done = subprocess.run([valgrind, "--tool=callgrind", "--instr-atstart=no",
                               f"--callgrind-out-file={out}", sys.executable, *argv],
                              env={**os.environ, _MARK: "1"}, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"exit {done.returncode}: {done.stderr[-2000:]}")
        with open(out, encoding="utf-8") as fh:
            # "summary:" near the top can read 0 when counting was toggled; "totals:" at the
            # end is the sum
            found = {m.group(1): int(m.group(2)) for line in fh
                     if (m := re.match(r"(summary|totals): (\d+)", line))}
    total = found.get("totals", found.get("summary"))
    if total is None:
        raise RuntimeError("callgrind wrote no total")
    return done.stdout, total


def run_counted(argv: list[str]) -> int:
    """`count` for a bench's command line: prints its output and the total; the exit code."""
    try:
        stdout, total = count(argv)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(stdout, end="")
    print(f"instructions {total:,} in the counted loop (callgrind)")
    return 0


@contextlib.contextmanager
def counting() -> Iterator[None]:
    """Count instructions inside the block (a no-op unless run by `run_counted`)."""
    if not under_callgrind():
        yield
        return
    pid = str(os.getpid())
    control = shutil.which("callgrind_control") or "/usr/bin/callgrind_control"
    subprocess.run([control, "-i", "on", pid], capture_output=True, check=True)
    try:
        yield
    finally:
        subprocess.run([control, "-i", "off", pid], capture_output=True, check=True)

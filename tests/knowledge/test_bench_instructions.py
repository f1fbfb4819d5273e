"""bench/_callgrind.py: the instructions counted are those inside `counting()`, and only those
(the benches' `--instructions` figures compare commits by them)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
from bench import _callgrind  # noqa: E402 - after ROOT is on the path

pytestmark = pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind missing")

_SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from bench._callgrind import counting
def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total
work({before})  # set-up: not counted
with counting():
    print(work({inside}))
"""


def _count(tmp_path: Path, before: int, inside: int) -> tuple[str, int]:
    script = tmp_path / f"s{before}_{inside}.py"
    script.write_text(_SCRIPT.format(root=str(ROOT), before=before, inside=inside))
    return _callgrind.count([str(script)])


def test_counts_the_block_and_not_the_set_up(tmp_path):
    out, small = _count(tmp_path, before=0, inside=20_000)
    assert out.strip() == str(sum(i * i for i in range(20_000)))  # the script really ran
    _, large = _count(tmp_path, before=0, inside=80_000)
    _, heavy_setup = _count(tmp_path, before=400_000, inside=20_000)
    assert large > 3 * small  # four times the loop: most of the count is the loop
    # twenty times the loop's work before the block changes the count by little
    assert abs(heavy_setup - small) < 0.25 * small


def test_a_failing_script_is_an_error_not_a_figure(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("raise SystemExit(3)\n")
    with pytest.raises(RuntimeError, match="exit 3"):
        _callgrind.count([str(script)])

"""Bench of the local mirror at national scale (issue 2). Not part of the test run.

    python bench/bench_mirror.py [--rows 5500000] [--seed 1448] [--workdir var/bench]

1. generates the synthetic export (`integration.dataset.write_dataset`), or reuses the file of the
   same size and seed under the workdir;
2. imports it into a fresh, migrated SQLite mirror with `integration.mirror.import_csv` (rows/s),
   and loads the same CSV with the sqlite3 shell's `.import --csv --skip 1` into a bare table in a
   fresh file (the ratio of the two times);
3. looks up random porsi with `integration.mirror.get` in a fresh process that only opens the
   database (p50/p99, peak RSS).

Each phase runs in its own subprocess so its peak RSS is its own. Prints a table with PASS/MISS
per target; exits non-zero only when a phase fails, not when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._machine import cpu_model  # noqa: E402 - after ROOT is on the path

TARGET_IMPORT_ROWS_S = 100_000
TARGET_IMPORT_RATIO = 4.0
TARGET_P99_MS = 2.0
TARGET_RSS_MB = 200.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# --- phases (each runs in its own process and prints one JSON line) -------------------------


def phase_generate(args) -> dict:
    from integration.dataset import write_dataset

    started = time.perf_counter()
    rows = write_dataset(Path(args.csv), args.rows, args.seed)
    return {"rows": rows, "seconds": time.perf_counter() - started, "rss_mb": _rss_mb()}


def phase_import(args) -> dict:
    from db import migrate
    from db.engine import Database
    from integration.mirror import import_csv

    db_path = Path(args.db)
    for leftover in db_path.parent.glob(db_path.name + "*"):
        leftover.unlink()
    url = _sqlite_url(db_path)
    migrate.upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    report = import_csv(db, Path(args.csv))
    seconds = time.perf_counter() - started
    db.dispose()
    fields = {}
    for name in ("read", "inserted", "updated", "unchanged", "malformed"):
        value = getattr(report, name, None)
        if isinstance(value, int | list | tuple):
            fields[name] = value if isinstance(value, int) else len(value)
    return {"seconds": seconds, "report": fields, "rss_mb": _rss_mb()}


def phase_lookup(args) -> dict:
    from sqlalchemy import text

    from db.engine import Database
    from integration.mirror import get

    db = Database(_sqlite_url(Path(args.db)))
    rng = random.Random(args.seed)
    n = args.lookups
    with db.session() as s:
        top = s.execute(text("SELECT max(rowid) FROM mirror")).scalar_one()
        rowids = rng.sample(range(1, top + 1), min(top, 2 * n + 1000))
        porsi: list[str] = []
        for i in range(0, len(rowids), 500):
            chunk = rowids[i : i + 500]
            marks = ",".join(str(r) for r in chunk)
            sql = text(f"SELECT rowid, porsi FROM mirror WHERE rowid IN ({marks})")  # noqa: S608 - integers read from the table
            found = {rowid: p for rowid, p in s.execute(sql)}
            porsi += [found[r] for r in chunk if r in found]
    warm, first, second = porsi[:1000], porsi[1000 : 1000 + n], porsi[1000 + n :]
    missing = [f"99{rng.randrange(10**8):08d}" for _ in range(1000)]

    for p in warm:  # SQLAlchemy's statement cache and the pool's connection
        with db.session() as s:
            get(s, p)

    # Distinct random porsi per mode, so neither mode profits from pages the other read.
    one_wall, one_cpu, hits = [], [], 0
    with db.session() as s:
        for p in first:
            w0, c0 = time.perf_counter_ns(), time.process_time_ns()
            found = get(s, p)
            one_cpu.append((time.process_time_ns() - c0) / 1e6)
            one_wall.append((time.perf_counter_ns() - w0) / 1e6)
            hits += found is not None

    per_wall, per_cpu = [], []
    for p in second:
        w0, c0 = time.perf_counter_ns(), time.process_time_ns()
        with db.session() as s:
            found = get(s, p)
        per_cpu.append((time.process_time_ns() - c0) / 1e6)
        per_wall.append((time.perf_counter_ns() - w0) / 1e6)
        hits += found is not None

    miss_times: list[float] = []
    misses = 0
    for p in missing:
        t0 = time.perf_counter_ns()
        with db.session() as s:
            found = get(s, p)
        miss_times.append((time.perf_counter_ns() - t0) / 1e6)
        misses += found is None
    db.dispose()
    return {
        "lookups": len(first) + len(second),
        "hits": hits,
        "one_session": _percentiles(one_wall),
        "one_session_cpu": _percentiles(one_cpu),
        "session_per_lookup": _percentiles(per_wall),
        "session_per_lookup_cpu": _percentiles(per_cpu),
        "unknown_porsi": _percentiles(miss_times),
        "unknown_answered_none": misses,
        "rss_mb": _rss_mb(),
    }


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.50), "p99": pick(0.99), "max": ordered[-1]}


PHASES = {"generate": phase_generate, "import": phase_import, "lookup": phase_lookup}


# --- driver -------------------------------------------------------------------------------------


def _run_phase(name: str, args, **extra) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", name]
    opts = {"rows": args.rows, "seed": args.seed, "lookups": args.lookups, **extra}
    for key, value in opts.items():
        cmd += [f"--{key}", str(value)]
    print(f"  [{name}] running ...", flush=True)
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"phase {name} failed with exit code {done.returncode}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  [{name}] {json.dumps(result)}", flush=True)  # kept even if a later phase fails
    return result


def _sqlite_cli_import(cli: str, csv_path: Path, db_path: Path) -> float:
    from integration.wire import EXPORT_COLUMNS

    for leftover in db_path.parent.glob(db_path.name + "*"):
        leftover.unlink()
    columns = ", ".join(f"{c} TEXT" for c in EXPORT_COLUMNS)
    script = f"CREATE TABLE bare ({columns});\n.import --csv --skip 1 {csv_path} bare\n"
    started = time.perf_counter()
    done = subprocess.run([cli, str(db_path)], input=script, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or done.stderr.strip():
        raise SystemExit(f"sqlite3 .import failed: {done.stderr.strip()[:500]}")
    return seconds


def _machine() -> dict:
    model = cpu_model()
    cli = shutil.which("sqlite3")
    cli_version = ""
    if cli:
        cli_version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite (python)": sqlite3.sqlite_version,
        "sqlite3 CLI": cli_version.split(" ")[0] if cli_version else "missing",
        "load avg at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_500_000)
    parser.add_argument("--seed", type=int, default=1448)
    parser.add_argument("--workdir", default="var/bench")
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument(
        "--skip-import", action="store_true", help="reuse the mirror of the previous run"
    )
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from integration.dataset import DATASET_VERSION

    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return 0

    command = "python bench/bench_mirror.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    workdir = Path(args.workdir)
    if not workdir.is_absolute():
        workdir = Path.cwd() / workdir
    workdir.mkdir(parents=True, exist_ok=True)
    csv_path = workdir / f"siskohat_{args.rows}_{args.seed}_v{DATASET_VERSION}.csv"
    mirror_db = workdir / "mirror.sqlite3"
    bare_db = workdir / "bare.sqlite3"
    begun = time.perf_counter()
    machine = _machine()
    print(f"bench_mirror: {command}")
    print("  machine: " + ", ".join(f"{k} {v}" for k, v in machine.items()), flush=True)

    if csv_path.exists():
        gen = None
        print(f"  [generate] reusing {csv_path}")
    else:
        gen = _run_phase("generate", args, csv=csv_path)
    size_mb = csv_path.stat().st_size / 2**20

    if args.skip_import and mirror_db.exists():
        imp = None
        print(f"  [import] skipped, reusing {mirror_db}")
    else:
        imp = _run_phase("import", args, csv=csv_path, db=mirror_db)
    cli = shutil.which("sqlite3")
    cli_seconds = None
    if cli and imp:
        print("  [sqlite3 .import] running ...", flush=True)
        cli_seconds = _sqlite_cli_import(cli, csv_path, bare_db)
        print(f"  [sqlite3 .import] {cli_seconds:.1f} s", flush=True)
    else:
        print("  sqlite3 CLI missing: install it (apt-get install -y sqlite3) for the ratio")
    look = _run_phase("lookup", args, db=mirror_db)

    rows = args.rows
    import_rate = rows / imp["seconds"] if imp else 0.0
    ratio = imp["seconds"] / cli_seconds if cli_seconds and imp else None
    per = look["session_per_lookup"]
    one = look["one_session"]
    unknown = look["unknown_porsi"]
    lines = [
        ("command", command, ""),
        *((k, str(v), "") for k, v in machine.items()),
        ("rows", f"{rows:,} ({size_mb:,.0f} MiB CSV)", ""),
    ]
    if gen:
        lines.append(
            (
                "generate",
                f"{gen['seconds']:.1f} s, {rows / gen['seconds']:,.0f} rows/s, "
                f"peak RSS {gen['rss_mb']:.0f} MB",
                "",
            )
        )
    lines += [
        (
            "import_csv",
            f"{imp['seconds']:.1f} s, {import_rate:,.0f} rows/s, peak RSS {imp['rss_mb']:.0f} MB"
            f" {imp['report']}"
            if imp
            else "skipped (--skip-import)",
            f"{_verdict(import_rate >= TARGET_IMPORT_ROWS_S)} (>= {TARGET_IMPORT_ROWS_S:,} rows/s)"
            if imp
            else "",
        ),
        (
            "sqlite3 .import",
            f"{cli_seconds:.1f} s, {rows / cli_seconds:,.0f} rows/s" if cli_seconds else "skipped",
            "",
        ),
        (
            "import / .import",
            f"{ratio:.2f}x" if ratio else "n/a",
            f"{_verdict(ratio is not None and ratio <= TARGET_IMPORT_RATIO)} (<= {TARGET_IMPORT_RATIO}x)"
            if imp
            else "",
        ),
        (
            "get, one session",
            f"p50 {one['p50']:.3f} ms, p99 {one['p99']:.3f} ms, max {one['max']:.1f} ms "
            f"(CPU p99 {look['one_session_cpu']['p99']:.3f} ms; {look['hits']}/{look['lookups']}"
            " found over both modes)",
            f"{_verdict(one['p99'] <= TARGET_P99_MS)} (p99 <= {TARGET_P99_MS} ms)",
        ),
        (
            "get, session per lookup",
            f"p50 {per['p50']:.3f} ms, p99 {per['p99']:.3f} ms, max {per['max']:.1f} ms "
            f"(CPU p99 {look['session_per_lookup_cpu']['p99']:.3f} ms)",
            f"{_verdict(per['p99'] <= TARGET_P99_MS)} (p99 <= {TARGET_P99_MS} ms)",
        ),
        (
            "get, unknown porsi",
            f"p50 {unknown['p50']:.3f} ms, p99 {unknown['p99']:.3f} ms "
            f"({look['unknown_answered_none']}/1000 answered None)",
            "",
        ),
        (
            "peak RSS, lookups",
            f"{look['rss_mb']:.0f} MB",
            f"{_verdict(look['rss_mb'] <= TARGET_RSS_MB)} (<= {TARGET_RSS_MB:.0f} MB)",
        ),
        ("mirror file", f"{mirror_db.stat().st_size / 2**20:,.0f} MiB", ""),
        ("load avg at end", " ".join(f"{x:.2f}" for x in os.getloadavg()), ""),
        ("wall time", f"{time.perf_counter() - begun:.0f} s", ""),
    ]
    width = max(len(k) for k, _, _ in lines)
    print()
    for key, value, verdict in lines:
        print(f"  {key:<{width}}  {value}" + (f"   {verdict}" if verdict else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Bulk CSV import into the mirror, and the packed storage format of its rows.

Split out of `integration.mirror` (which re-exports these names); see its docstring for the
storage rules and the speed notes of `import_csv`.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from db.models.mirror import MirrorImport
from integration.wire import (
    EXPORT_COLUMNS,
    WireError,
    parse_date,
    parse_datetime,
    parse_int,
    parse_porsi,
)
from knowledge.dates import to_utc
from knowledge.records import PilgrimRecord

SOURCES = ("batch", "feed", "live", "push")
NCOL = len(EXPORT_COLUMNS)
# The export columns kept in the `data` column: all but kd_porsi (first) and updated_at (last).
PACKED_COLUMNS: tuple[str, ...] = EXPORT_COLUMNS[1:-1]
if EXPORT_COLUMNS[0] != "kd_porsi" or EXPORT_COLUMNS[-1] != "updated_at":  # the packing
    raise RuntimeError("EXPORT_COLUMNS must start with kd_porsi and end with updated_at")
NPACKED = len(PACKED_COLUMNS)
DATE_COLUMNS = ("tgl_lahir", "tgl_daftar", "tgl_istithaah")
INT_COLUMNS = (
    "posisiporsi", "kuotapropinsi", "berangkatmasehi", "berangkathijriah", "tahun_pelunasan",
    "tahun_haji_terakhir", "biaya_bipih", "setoran_awal", "nilai_manfaat", "jumlah_pelunasan",
)  # fmt: skip
_IDX = {c: i for i, c in enumerate(EXPORT_COLUMNS)}
_DATE_IDX = tuple(_IDX[c] for c in DATE_COLUMNS)
_INT_IDX = tuple(_IDX[c] for c in INT_COLUMNS)
_UPD = _IDX["updated_at"]
_CACHE_MAX = 200_000  # distinct dates / timestamps remembered during one import
_SAFE_LITERAL = re.compile(r"[0-9A-Za-z:+.\-]+")
_CSV_SPECIAL = re.compile('["\r\n]')  # besides the comma, what makes CSV quote a value
DEFAULT_CHUNK = 50_000


class ExportFormatError(ValueError):
    """The file is not an export (missing, unreadable, or its header is not the contract's)."""


@dataclass(frozen=True, slots=True)
class Malformed:
    line: int  # line in the file (header = line 1); for the change feed: row number in the feed
    field: str | None
    message: str


@dataclass(slots=True)
class ImportReport:
    name: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0  # identical, or older than / as old as the stored copy
    malformed: list[Malformed] = field(default_factory=list)
    seconds: float = 0.0
    sha256: str | None = None
    notifications: int = 0  # queued for subscribers by this sync

    @property
    def changed(self) -> int:
        return self.inserted + self.updated


@dataclass(frozen=True, slots=True)
class MirrorEntry:
    record: PilgrimRecord
    fetched_at: datetime  # when this copy was last confirmed with Siskohat (UTC)
    updated_at: datetime  # Siskohat's own change time of the record (UTC)
    source: str  # batch | feed | live | push


# ------------------------------------------------------------------------ value normalising


def now_iso() -> str:
    return iso_utc(datetime.now(UTC))


def iso_utc(dt: datetime) -> str:
    """Fixed-width UTC ISO text (sortable as text): 2026-11-18T07:24:59.000000+00:00."""
    return to_utc(dt).isoformat(timespec="microseconds")


def _norm_timestamp(raw: str, column: str = "updated_at") -> str:
    dt = parse_datetime(raw, column)
    if dt is None:
        raise WireError(column, raw, "missing")
    return dt.isoformat(timespec="microseconds")


def normalise_value(column: str, raw: Any) -> str:
    """One export value as stored ('' for no value); raises WireError when it cannot mean
    anything (bad porsi, impossible date, non-number in a number column)."""
    if raw is None:
        return ""
    if column == "kd_porsi":
        return parse_porsi(raw, column)
    if column == "updated_at":
        return _norm_timestamp(raw)
    if column in DATE_COLUMNS:
        d = parse_date(raw, column)
        return "" if d is None else d.isoformat()
    if column in INT_COLUMNS:
        n = parse_int(raw, column)
        return "" if n is None else str(n)
    return raw if type(raw) is str else str(raw)


def _preparer() -> Callable[[list[str]], tuple[str, str, bool]]:
    """A validator/normaliser of export rows (lists in EXPORT_COLUMNS order) for one import.

    It returns (porsi, updated_at, changed): the normalised key and change time, and whether
    a packed value (dates, numbers) was rewritten in place; the row's first and last values
    stay as they were, so the import can still slice the packed part out of the raw line.
    Cheap checks first (shape, digits) with per-value caches for dates and timestamps (a
    national export has a few thousand distinct ones), the lenient wire parsers only for
    values that fail them. A closure over local caches: it runs millions of times."""
    good_dates = {""}  # raw dates already canonical (and possible)
    fixed_dates: dict[str, str] = {}  # raw date -> canonical, for the other spellings
    stamps: dict[str, str] = {}  # raw updated_at -> fixed-width UTC ISO
    i0, i1, i2, i3, i4, i5, i6, i7, i8, i9 = _INT_IDX

    def date_of(raw: str, col: int) -> str:
        got = fixed_dates.get(raw)
        if got is None:
            got = normalise_value(EXPORT_COLUMNS[col], raw)
            if len(good_dates) + len(fixed_dates) < _CACHE_MAX:
                if got == raw:
                    good_dates.add(raw)
                else:
                    fixed_dates[raw] = got
        return got

    def stamp_of(raw: str) -> str:
        if not raw.strip():
            raise WireError("updated_at", raw, "missing")
        got = _norm_timestamp(raw)
        if len(stamps) >= _CACHE_MAX:
            stamps.clear()
        stamps[raw] = got
        return got

    def prepare(row: list[str]) -> tuple[str, str, bool]:
        if len(row) != NCOL:
            raise WireError(None, None, f"expected {NCOL} columns, got {len(row)}")
        p = row[0]
        if not (len(p) == 10 and p.isdigit() and p.isascii()):
            p = parse_porsi(p)
        changed = False
        for i in _DATE_IDX:
            v = row[i]
            if v not in good_dates:
                d = row[i] = date_of(v, i)
                changed = changed or d != v
        nums = (
            row[i0] + row[i1] + row[i2] + row[i3] + row[i4]
            + row[i5] + row[i6] + row[i7] + row[i8] + row[i9]
        )  # fmt: skip
        if nums and not (nums.isdigit() and nums.isascii()):
            for i in _INT_IDX:
                row[i] = normalise_value(EXPORT_COLUMNS[i], row[i])
            changed = True
        v = row[_UPD]
        return p, stamps.get(v) or stamp_of(v), changed

    return prepare


def _why(exc: WireError) -> str:
    text = str(exc)
    return text.removeprefix("value: ") if exc.field is None else text


def wire_row_values(row: Mapping[str, Any]) -> list[str]:
    """A JSON/wire row (mapping) as a list in EXPORT_COLUMNS order: None -> '', numbers -> text."""
    out = []
    for c in EXPORT_COLUMNS:
        v = row.get(c)
        out.append("" if v is None else v if type(v) is str else str(v))
    return out


# --------------------------------------------------------------------- the `data` column


def pack(values: Sequence[str]) -> str:
    """The PACKED_COLUMNS values ('' for no value) as one CSV line: the `data` column."""
    text = ",".join(values)
    if text.count(",") == len(values) - 1 and not _CSV_SPECIAL.search(text):
        return text
    # a value holds a comma, quote or line break: quote as CSV does
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue()[:-2]


def unpack(data: str) -> list[str]:
    """The `data` column back as PACKED_COLUMNS values (inverse of `pack`)."""
    values = next(csv.reader([data])) if '"' in data else data.split(",")
    if len(values) != NPACKED:
        raise ValueError(f"mirror data has {len(values)} values, expected {NPACKED}")
    return values


# --------------------------------------------------------------------------- bulk SQL


def _literal(value: str) -> str:
    # Constants of one import (our own timestamp, a source name) go into the SQL text so each
    # row binds two parameters fewer; only these safe characters can ever get there.
    if not _SAFE_LITERAL.fullmatch(value):
        raise ValueError(f"unsafe SQL literal {value!r}")
    return f"'{value}'"


def _upsert_sql(dialect: str, fetched_at: str, source: str, *, plain: bool = False) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    head = (  # two values of ours, quoted by _literal
        "INSERT INTO mirror (porsi, updated_at, data, fetched_at, source) "  # noqa: S608 - see above
        f"VALUES ({mark}, {mark}, {mark}, {_literal(fetched_at)}, {_literal(source)})"
    )
    if plain:  # only for a table that had no row of this file's porsi (see import_csv)
        return head
    return (
        f"{head} ON CONFLICT (porsi) DO UPDATE SET updated_at = excluded.updated_at, "
        "data = excluded.data, fetched_at = excluded.fetched_at, source = excluded.source "
        "WHERE excluded.updated_at > mirror.updated_at"
    )


def _engine_of(db_or_engine) -> Engine:
    return db_or_engine if isinstance(db_or_engine, Engine) else db_or_engine.engine


def _sha256_in_thread(path: Path) -> tuple[threading.Thread, dict]:
    # hashlib releases the GIL on large buffers: hashing beside the import is nearly free.
    out: dict = {}

    def run() -> None:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
        out["sha256"] = h.hexdigest()

    t = threading.Thread(target=run, name="sha256", daemon=True)
    t.start()
    return t, out


def _csv_record(first: str, fh) -> tuple[list[str], int]:
    """The record starting with line `first`, parsed by the csv module (it has quotes; a
    quoted field may go on over the next lines of `fh`). Returns it and the lines it took."""
    reader = csv.reader(itertools.chain((first,), fh))
    return next(reader), reader.line_num


def _not_utf8(line: str) -> bool:
    # the file is decoded with surrogateescape: bytes that are not UTF-8 become surrogates,
    # which cannot be encoded back; this keeps a bad byte to its own row
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def import_csv(
    db_or_engine,
    path: str | Path,
    *,
    source: str = "batch",
    chunk_rows: int = DEFAULT_CHUNK,
    export_date: date | None = None,
    notify: bool = True,
) -> ImportReport:
    """Import an export CSV into the mirror; idempotent; malformed rows reported and skipped.

    With `notify`, changes of watched porsi are queued as notifications in the transaction of
    the chunk that writes them (integration.notify_queue); `report.notifications` counts them.

    Raises ExportFormatError (before importing anything) when the file is missing or its
    header is not exactly the contract's export columns. Commits every `chunk_rows` rows, so
    an interruption loses at most the current chunk and a re-run completes it.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    path = Path(path)
    engine = _engine_of(db_or_engine)
    report = ImportReport(name=path.name)
    started = time.perf_counter()
    started_iso = now_iso()
    try:
        # opened outside `with` so that only the open itself maps to ExportFormatError
        fh = open(path, encoding="utf-8-sig", errors="surrogateescape", newline="")  # noqa: SIM115 - see above
    except OSError as exc:
        raise ExportFormatError(f"cannot open {path}: {exc.strerror or exc}") from None
    with fh:
        try:
            first = next(fh, "")
            header, lineno = _csv_record(first, fh) if first else ([], 1)
        except csv.Error as exc:
            raise ExportFormatError(f"{path.name}: unreadable header ({exc})") from None
        if [h.strip() for h in header] != list(EXPORT_COLUMNS) or _not_utf8(first):
            raise ExportFormatError(
                f"{path.name}: header is not the Siskohat export header "
                f"({NCOL} columns, from kd_porsi to updated_at)"
            )
        hasher, digest = _sha256_in_thread(path)
        dialect = engine.dialect.name
        sql = _upsert_sql(dialect, started_iso, source)
        prepare = _preparer()
        bad = report.malformed
        raw = engine.raw_connection()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # millions of short-lived lists: the cyclic GC only costs time here
        try:
            cur = raw.cursor()
            if dialect == "sqlite":
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("PRAGMA cache_size=-262144")  # 256 MiB, this import only
                cur.execute("PRAGMA temp_store=MEMORY")
            before = _count(cur)
            raw.commit()
            # Into an empty mirror (the first full export) a plain INSERT is faster than the
            # upsert; a porsi repeated inside the file makes it fail, and from that chunk on
            # the upsert takes over (the failed chunk is rolled back and redone).
            plain_sql = (
                _upsert_sql(dialect, started_iso, source, plain=True) if not before else None
            )
            integrity_error = engine.dialect.dbapi.IntegrityError
            # notifications of watched porsi, queued in each chunk's own transaction
            hook = notify_hook(cur, dialect) if notify and before else None
            # a changed phone or birth date resets the porsi's verifications (always, and
            # before the notifications, which read who is verified)
            factors = factor_hook(cur, dialect, source) if before else None
            raw.commit()

            def write(rows: list[tuple[str, str, str]]) -> int:
                nonlocal plain_sql
                if plain_sql is not None:
                    try:
                        cur.executemany(plain_sql, rows)
                        n = max(cur.rowcount, 0)
                        raw.commit()
                        return n
                    except integrity_error:
                        raw.rollback()
                        plain_sql = None
                pairs = hook.before(rows) if hook is not None else None
                moved = factors.before(rows) if factors is not None else None
                cur.executemany(sql, rows)
                n = max(cur.rowcount, 0)
                if moved:
                    factors.after(moved)
                if pairs:
                    hook.after(pairs)
                raw.commit()
                return n

            changed = 0
            read = 0
            chunk: list[tuple[str, str, str]] = []
            append = chunk.append
            for line in fh:
                lineno += 1
                quoted = '"' in line
                if not line.isascii() and _not_utf8(line):
                    read += 1
                    bad.append(Malformed(lineno, None, "unreadable row: not UTF-8"))
                    continue
                if quoted:
                    try:
                        row, took = _csv_record(line, fh)
                    except csv.Error as exc:
                        read += 1
                        bad.append(Malformed(lineno, None, f"unreadable row: {exc}"))
                        continue
                    lineno += took - 1  # reported, as before, at the record's last line
                    if took > 1 and _not_utf8("".join(row)):  # its further lines, unchecked
                        read += 1
                        bad.append(Malformed(lineno, None, "unreadable row: not UTF-8"))
                        continue
                else:
                    text = line.rstrip("\r\n")
                    if not text:
                        continue  # blank line
                    row = text.split(",")
                read += 1
                try:
                    porsi, stamp, rewritten = prepare(row)
                except WireError as exc:
                    bad.append(Malformed(lineno, exc.field, _why(exc)))
                    continue
                if quoted or rewritten:
                    append((porsi, stamp, pack(row[1:-1])))
                else:
                    # no quote: the line between the first and the last comma is already
                    # the packed form of the values in between
                    append((porsi, stamp, text[len(row[0]) + 1 : len(text) - len(row[-1]) - 1]))
                if len(chunk) >= chunk_rows:
                    changed += write(chunk)
                    chunk.clear()
            if chunk:
                changed += write(chunk)
            after = _count(cur)
            raw.commit()
        finally:
            if gc_was_enabled:
                gc.enable()
            try:
                if dialect == "sqlite":
                    raw.rollback()
                    cur = raw.cursor()
                    cur.execute("PRAGMA synchronous=NORMAL")
                    cur.execute("PRAGMA cache_size=-2000")
            finally:
                raw.close()
        hasher.join()
    report.read = read
    report.inserted = after - before
    report.updated = max(changed - report.inserted, 0)
    report.unchanged = read - len(bad) - changed
    report.sha256 = digest.get("sha256")
    report.notifications = hook.queued if hook is not None else 0
    report.seconds = time.perf_counter() - started
    with engine.begin() as conn:
        _record_run(conn, "file", report, source, started_iso, export_date)
    return report


def notify_hook(cur, dialect: str):
    from integration.notify_queue import ImportHook  # it imports the knowledge: only when used

    return ImportHook(cur, dialect, unpack)


def factor_hook(cur, dialect: str, source: str):
    from integration.factor_watch import ImportFactorHook

    return ImportFactorHook(cur, dialect, unpack, source=source)


def _count(cur) -> int:
    cur.execute("SELECT count(*) FROM mirror")
    return int(cur.fetchone()[0])


def _record_run(conn, kind: str, report: ImportReport, source: str, started: str, day) -> None:
    conn.execute(
        MirrorImport.__table__.insert().values(
            kind=kind,
            name=report.name,
            sha256=report.sha256,
            export_date=day.isoformat() if day else None,
            source=source,
            started_at=started,
            finished_at=now_iso(),
            rows_read=report.read,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            malformed=len(report.malformed),
        )
    )

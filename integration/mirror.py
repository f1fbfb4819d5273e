"""The local mirror of Siskohat: bulk CSV import, upserts from live/feed/push, lookup by porsi.

Rules (contract): one row per nomor porsi; a row whose `updated_at` is older than or equal to
the stored one never overwrites it (`INSERT ... ON CONFLICT (porsi) DO UPDATE ... WHERE
excluded.updated_at > mirror.updated_at`, on SQLite and PostgreSQL alike), so importing the same
file twice changes nothing. A malformed row is reported with its line number and skipped.

Values are stored as they arrive, lightly normalised so the one parser (`integration.wire`)
can read them back: '' -> NULL, dates -> `YYYY-MM-DD`, numbers -> plain digits, `updated_at`
-> fixed-width UTC ISO (`2026-11-18T07:24:59.000000+00:00`), so text order is time order.

Speed of `import_csv` (the national export, millions of rows): csv module, cheap checks with
per-value caches, no record objects, `executemany` on the raw DBAPI connection in large chunks
with one transaction per chunk; '' becomes NULL in SQL (`NULLIF`) because binding Python None
is slower than binding a string in the sqlite3 module; on SQLite `synchronous=OFF` and a large
page cache for the duration of the import only.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db.models.mirror import MirrorImport, MirrorRow
from integration.wire import (
    EXPORT_COLUMNS,
    WireError,
    parse_date,
    parse_datetime,
    parse_int,
    parse_porsi,
    record_from_wire,
    row_from_record,
)
from knowledge.records import PilgrimRecord

SOURCES = ("batch", "feed", "live", "push")
NCOL = len(EXPORT_COLUMNS)
# Table column for each export column (kd_porsi is the primary key `porsi`).
TABLE_COLUMNS: tuple[str, ...] = ("porsi", *EXPORT_COLUMNS[1:])
DATE_COLUMNS = ("tgl_lahir", "tgl_daftar", "tgl_istithaah")
INT_COLUMNS = (
    "posisiporsi", "kuotapropinsi", "berangkatmasehi", "berangkathijriah", "tahun_pelunasan",
    "tahun_haji_terakhir", "biaya_bipih", "setoran_awal", "nilai_manfaat", "jumlah_pelunasan",
)  # fmt: skip
_IDX = {c: i for i, c in enumerate(EXPORT_COLUMNS)}
_DATE_IDX = tuple(_IDX[c] for c in DATE_COLUMNS)
_INT_IDX = tuple(_IDX[c] for c in INT_COLUMNS)
_UPD = _IDX["updated_at"]
_D1, _D2, _D3 = _DATE_IDX
_I = _INT_IDX
_CACHE_MAX = 200_000  # distinct dates / timestamps remembered during one import
_SAFE_LITERAL = re.compile(r"[0-9A-Za-z:+.\-]+")
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

    @property
    def rows_per_s(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

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
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


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


class _Preparer:
    """Validates and normalises export rows in place (lists in EXPORT_COLUMNS order).

    Cheap checks first (shape, digits), with per-value caches for dates and timestamps; the
    lenient wire parsers only for values that fail the cheap check."""

    def __init__(self) -> None:
        self._dates: dict[str, str] = {"": ""}
        self._stamps: dict[str, str] = {}

    def _date(self, raw: str, col: int) -> str:
        got = self._dates.get(raw)
        if got is None:
            got = normalise_value(EXPORT_COLUMNS[col], raw)
            if len(self._dates) < _CACHE_MAX:
                self._dates[raw] = got
        return got

    def _stamp(self, raw: str) -> str:
        got = self._stamps.get(raw)
        if got is None:
            if not raw.strip():
                raise WireError("updated_at", raw, "missing")
            got = _norm_timestamp(raw)
            if len(self._stamps) < _CACHE_MAX:
                self._stamps[raw] = got
            else:
                self._stamps.clear()
        return got

    def __call__(self, row: list[str]) -> list[str]:
        if len(row) != NCOL:
            raise WireError(None, None, f"expected {NCOL} columns, got {len(row)}")
        p = row[0]
        if not (len(p) == 10 and p.isdigit() and p.isascii()):
            row[0] = parse_porsi(p)
        dates = self._dates
        v = row[_D1]
        row[_D1] = dates.get(v) or self._date(v, _D1)
        v = row[_D2]
        row[_D2] = dates.get(v) or self._date(v, _D2)
        v = row[_D3]
        row[_D3] = dates.get(v) or self._date(v, _D3)
        nums = (
            row[_I[0]] + row[_I[1]] + row[_I[2]] + row[_I[3]] + row[_I[4]]
            + row[_I[5]] + row[_I[6]] + row[_I[7]] + row[_I[8]] + row[_I[9]]
        )  # fmt: skip
        if nums and not (nums.isdigit() and nums.isascii()):
            for i in _INT_IDX:
                row[i] = normalise_value(EXPORT_COLUMNS[i], row[i])
        row[_UPD] = self._stamp(row[_UPD])
        return row


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


# --------------------------------------------------------------------------- bulk SQL


def _literal(value: str) -> str:
    # Constants of one import (our own timestamp, a source name) go into the SQL text so each
    # row binds two parameters fewer; only these safe characters can ever get there.
    if not _SAFE_LITERAL.fullmatch(value):
        raise ValueError(f"unsafe SQL literal {value!r}")
    return f"'{value}'"


def _upsert_sql(dialect: str, fetched_at: str, source: str, *, plain: bool = False) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    cols = (*TABLE_COLUMNS, "fetched_at", "source")
    values = [mark] + [f"NULLIF({mark}, '')"] * (NCOL - 2) + [mark]  # updated_at never empty
    values += [_literal(fetched_at), _literal(source)]
    sets = ", ".join(f"{c} = excluded.{c}" for c in cols[1:])
    if plain:  # only for a table that had no row of this file's porsi (see import_csv)
        return f"INSERT INTO mirror ({', '.join(cols)}) VALUES ({', '.join(values)})"
    return (
        f"INSERT INTO mirror ({', '.join(cols)}) VALUES ({', '.join(values)}) "
        f"ON CONFLICT (porsi) DO UPDATE SET {sets} WHERE excluded.updated_at > mirror.updated_at"
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


def import_csv(
    db_or_engine,
    path: str | Path,
    *,
    source: str = "batch",
    chunk_rows: int = DEFAULT_CHUNK,
    export_date: date | None = None,
) -> ImportReport:
    """Import an export CSV into the mirror; idempotent; malformed rows reported and skipped.

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
        fh = open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ExportFormatError(f"cannot open {path}: {exc.strerror or exc}") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ExportFormatError(f"{path.name}: unreadable header ({exc})") from None
        if header is None or [h.strip() for h in header] != list(EXPORT_COLUMNS):
            raise ExportFormatError(
                f"{path.name}: header is not the Siskohat export header "
                f"({NCOL} columns, from kd_porsi to updated_at)"
            )
        hasher, digest = _sha256_in_thread(path)
        dialect = engine.dialect.name
        sql = _upsert_sql(dialect, started_iso, source)
        prepare = _Preparer()
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

            def write(rows: list[list[str]]) -> int:
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
                cur.executemany(sql, rows)
                n = max(cur.rowcount, 0)
                raw.commit()
                return n

            changed = 0
            read = 0
            chunk: list[list[str]] = []
            append = chunk.append
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except (csv.Error, UnicodeDecodeError) as exc:
                    read += 1
                    bad.append(Malformed(reader.line_num, None, f"unreadable row: {exc}"))
                    continue
                if not row:
                    continue  # blank line
                read += 1
                try:
                    append(prepare(row))
                except WireError as exc:
                    bad.append(Malformed(reader.line_num, exc.field, _why(exc)))
                    continue
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
    report.seconds = time.perf_counter() - started
    with engine.begin() as conn:
        _record_run(conn, "file", report, source, started_iso, export_date)
    return report


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


def record_run(session: Session, kind: str, report: ImportReport, source: str, started: str):
    """Book a sync run (used by the change feed; `import_csv` books its own)."""
    _record_run(session.connection(), kind, report, source, started, None)


# ------------------------------------------------------------------- small-batch upserts


def _dialect_insert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def upsert_records(
    session: Session,
    items: Iterable[Mapping[str, Any] | PilgrimRecord],
    *,
    source: str,
    fetched_at: datetime | None = None,
    report: ImportReport | None = None,
    first_line: int = 1,
) -> ImportReport:
    """Store wire rows (export names) or records from a live fetch / the change feed.

    Same rule as the CSV import: an older or equally old row never overwrites the stored one.
    For `source="live"` a copy as new as the stored one still refreshes `fetched_at` (Siskohat
    confirmed it now). Malformed rows are reported (numbered from `first_line`) and skipped.
    Does not commit (the caller's unit of work does).
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    report = report or ImportReport(name=source)
    fetched = iso_utc(fetched_at or datetime.now(UTC))
    prepare = _Preparer()
    rows: list[dict[str, Any]] = []
    for n, item in enumerate(items, first_line):
        report.read += 1
        if isinstance(item, PilgrimRecord):
            wire = row_from_record(item)
            if not wire["updated_at"]:
                # a live copy without Siskohat's change time is as new as the moment we got it
                wire["updated_at"] = fetched
            values = wire_row_values(wire)
        else:
            values = wire_row_values(item)
        try:
            values = prepare(values)
        except WireError as exc:
            report.malformed.append(Malformed(n, exc.field, _why(exc)))
            continue
        row = {c: (v if v != "" else None) for c, v in zip(TABLE_COLUMNS, values, strict=True)}
        row["fetched_at"] = fetched
        row["source"] = source
        rows.append(row)
    if not rows:
        return report
    table = MirrorRow.__table__
    stored: dict[str, str] = {}
    porsis = list({r["porsi"] for r in rows})
    for i in range(0, len(porsis), 500):
        part = porsis[i : i + 500]
        for p, u in session.execute(
            select(table.c.porsi, table.c.updated_at).where(table.c.porsi.in_(part))
        ):
            stored[p] = u
    insert = _dialect_insert(session)
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.porsi],
        set_={c: stmt.excluded[c] for c in (*TABLE_COLUMNS[1:], "fetched_at", "source")},
        where=stmt.excluded.updated_at > table.c.updated_at,
    )
    confirm = []
    for row in rows:
        old = stored.get(row["porsi"])
        if old is None:
            report.inserted += 1
        elif row["updated_at"] > old:
            report.updated += 1
        else:
            report.unchanged += 1
            if source == "live" and row["updated_at"] == old:
                confirm.append({"p": row["porsi"], "u": old})
            continue
        stored[row["porsi"]] = row["updated_at"]
    session.execute(stmt, rows)
    if confirm:
        for c in confirm:
            session.execute(
                table.update()
                .where(table.c.porsi == c["p"], table.c.updated_at == c["u"])
                .values(fetched_at=fetched, source=source)
            )
    return report


class EventOutcome:
    APPLIED = "applied"
    STALE = "stale"  # the stored copy is as new as or newer than the event
    UNKNOWN_PORSI = "unknown_porsi"  # nothing to apply onto; the next sync brings the record


def apply_changes(
    session: Session,
    porsi: str,
    changes: Mapping[str, Any],
    at: datetime,
    *,
    source: str = "push",
) -> tuple[str, list[str]]:
    """Apply changed export columns onto the stored row (partial update), bumping `updated_at`
    to `at` unless the stored copy is as new or newer. Returns (outcome, ignored columns).

    Unknown columns (and kd_porsi/updated_at, which an event cannot change) are ignored and
    returned; a value that cannot mean anything raises WireError before anything is written."""
    porsi = parse_porsi(porsi)
    values: dict[str, Any] = {}
    ignored: list[str] = []
    for column, raw in changes.items():
        if column not in _IDX or column in ("kd_porsi", "updated_at"):
            ignored.append(str(column))
            continue
        norm = normalise_value(column, raw)
        values[column] = norm if norm != "" else None
    stamp = iso_utc(at)
    table = MirrorRow.__table__
    result = session.execute(
        table.update()
        .where(table.c.porsi == porsi, table.c.updated_at < stamp)
        .values(**values, updated_at=stamp, fetched_at=now_iso(), source=source)
    )
    if result.rowcount:
        return EventOutcome.APPLIED, ignored
    exists = session.execute(select(table.c.porsi).where(table.c.porsi == porsi)).first()
    return (EventOutcome.STALE if exists else EventOutcome.UNKNOWN_PORSI), ignored


# ------------------------------------------------------------------------------- reading


_READ_COLUMNS = [MirrorRow.__table__.c[c] for c in (*TABLE_COLUMNS, "fetched_at", "source")]


def get(session: Session, porsi: str) -> MirrorEntry | None:
    """The mirror copy of one porsi (primary-key lookup), parsed by integration.wire."""
    row = session.execute(
        select(*_READ_COLUMNS).where(MirrorRow.__table__.c.porsi == porsi)
    ).first()
    if row is None:
        return None
    values = tuple(row)
    wire = {c: ("" if v is None else v) for c, v in zip(EXPORT_COLUMNS, values, strict=False)}
    record = record_from_wire(wire)
    return MirrorEntry(
        record=record,
        fetched_at=datetime.fromisoformat(values[NCOL]),
        updated_at=datetime.fromisoformat(values[_UPD]),
        source=values[NCOL + 1],
    )


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(MirrorRow)).scalar_one())

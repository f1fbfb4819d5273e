"""The local mirror of Siskohat: bulk CSV import, upserts from live/feed/push, lookup by porsi.

Rules (contract): one row per nomor porsi; a row whose `updated_at` is older than or equal to
the stored one never overwrites it (`INSERT ... ON CONFLICT (porsi) DO UPDATE ... WHERE
excluded.updated_at > mirror.updated_at`, on SQLite and PostgreSQL alike), so importing the same
file twice changes nothing. A malformed row is reported with its line number and skipped.

Storage: a mirror row is `porsi`, `updated_at`, `fetched_at`, `source` and `data`, the export
columns from `nama` to `jumlah_pelunasan` as ONE CSV line (see `pack`/`unpack`). Nothing
queries those columns one by one: they are only ever read back whole and parsed by the one
parser (`integration.wire`), and one text value binds far faster than 35 (binding parameters
was most of the import's time). Values are stored lightly normalised: dates -> `YYYY-MM-DD`,
numbers -> plain digits, `updated_at` -> fixed-width UTC ISO
(`2026-11-18T07:24:59.000000+00:00`), so text order is time order.

Speed of `import_csv` (the national export, millions of rows): lines without a quote are split
on commas (what the csv module would do with them, at half its cost) and, when no value needed
normalising, their middle part IS the packed `data` (a slice, no re-serialising); lines with a
quote (or a quoted field spanning lines) go through the csv module. Cheap checks with per-value
caches, no record objects, `executemany` on the raw DBAPI connection in large chunks with one
transaction per chunk; on SQLite `synchronous=OFF` and a large page cache for the duration of
the import only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models.mirror import MirrorImport, MirrorRow  # noqa: F401 - MirrorImport: the mirror's API
from integration import factor_watch, notify_queue
from integration.mirror_import import (
    _IDX,
    PACKED_COLUMNS,
    SOURCES,
    ExportFormatError,  # noqa: F401 - part of the mirror's API (sync, CLI)
    ImportReport,
    Malformed,
    MirrorEntry,
    _preparer,
    _record_run,
    _why,
    import_csv,  # noqa: F401 - part of the mirror's API (sync, CLI, channels)
    iso_utc,
    normalise_value,
    now_iso,
    pack,
    unpack,
    wire_row_values,
)
from integration.wire import (
    WireError,
    parse_porsi,
    record_from_wire,
    row_from_record,
)
from knowledge.records import PilgrimRecord


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
    prepare = _preparer()
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
            porsi, stamp, _ = prepare(values)
        except WireError as exc:
            report.malformed.append(Malformed(n, exc.field, _why(exc)))
            continue
        rows.append(
            {
                "porsi": porsi,
                "updated_at": stamp,
                "data": pack(values[1:-1]),
                "fetched_at": fetched,
                "source": source,
            }
        )
    if not rows:
        return report
    table = MirrorRow.__table__
    stored: dict[str, str] = {}
    stored_data: dict[str, str] = {}
    porsis = list({r["porsi"] for r in rows})
    for i in range(0, len(porsis), 500):
        part = porsis[i : i + 500]
        for p, u, d in session.execute(
            select(table.c.porsi, table.c.updated_at, table.c.data).where(
                table.c.porsi.in_(part))
        ):
            stored[p] = u
            stored_data[p] = d
    changed: list[tuple[str, str, str]] = []  # (porsi, old data, new data) for notifications
    insert = _dialect_insert(session)
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.porsi],
        set_={c: stmt.excluded[c] for c in ("updated_at", "data", "fetched_at", "source")},
        where=stmt.excluded.updated_at > table.c.updated_at,
    )
    confirm = []
    for row in rows:
        old = stored.get(row["porsi"])
        if old is None:
            report.inserted += 1
        elif row["updated_at"] > old:
            report.updated += 1
            if stored_data.get(row["porsi"]) != row["data"]:
                changed.append((row["porsi"], stored_data[row["porsi"]], row["data"]))
            stored_data[row["porsi"]] = row["data"]
        else:
            report.unchanged += 1
            if source == "live" and row["updated_at"] == old:
                confirm.append({"p": row["porsi"], "u": old})
            continue
        stored[row["porsi"]] = row["updated_at"]
    session.execute(stmt, rows)
    if changed:
        # verifications first: the notifications read who is verified
        factor_watch.reset_in_session(session, changed, unpack, source=source)
        report.notifications += notify_queue.queue_session(session, changed, unpack)
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
    event_id: str | None = None,
    now: datetime | None = None,
    reset: dict[str, Any] | None = None,
) -> tuple[str, list[str]]:
    """Apply changed export columns onto the stored row (partial update), bumping `updated_at`
    to `at` unless the stored copy is as new or newer. Returns (outcome, ignored columns).

    Unknown columns (and kd_porsi/updated_at, which an event cannot change) are ignored and
    returned; a value that cannot mean anything raises WireError before anything is written.
    A changed phone number or birth date resets the porsi's verified links first (audited
    with `event_id`, at `now`); `reset`, when given, receives the factors that changed
    (`factors`) and how many links were reset (`links`)."""
    porsi = parse_porsi(porsi)
    values: dict[str, str] = {}
    ignored: list[str] = []
    for column, raw in changes.items():
        if column not in _IDX or column in ("kd_porsi", "updated_at"):
            ignored.append(str(column))
            continue
        values[column] = normalise_value(column, raw)
    stamp = iso_utc(at)
    table = MirrorRow.__table__
    # Read-modify-write of the one packed row. The row lock (PostgreSQL; SQLite has one
    # writer anyway) and the guard on the updated_at we read keep a concurrent write from
    # being lost; if the guard still misses, read again.
    for _attempt in range(3):
        found = session.execute(
            select(table.c.updated_at, table.c.data).where(table.c.porsi == porsi).with_for_update()
        ).first()
        if found is None:
            return EventOutcome.UNKNOWN_PORSI, ignored
        old_stamp, data = found
        if old_stamp >= stamp:
            return EventOutcome.STALE, ignored
        merged = dict(zip(PACKED_COLUMNS, unpack(data), strict=True))
        merged.update(values)
        result = session.execute(
            table.update()
            .where(table.c.porsi == porsi, table.c.updated_at == old_stamp)
            .values(
                data=pack([merged[c] for c in PACKED_COLUMNS]),
                updated_at=stamp,
                fetched_at=now_iso(),
                source=source,
            )
        )
        if result.rowcount:
            written = [(porsi, data, pack([merged[c] for c in PACKED_COLUMNS]))]
            # verifications first: the notifications read who is verified
            factors, links = factor_watch.reset_in_session(
                session, written, unpack, source=source, event_id=event_id, now=now)
            if reset is not None:
                reset.update(factors=factors, links=links)
            notify_queue.queue_session(session, written, unpack)
            return EventOutcome.APPLIED, ignored
    return EventOutcome.STALE, ignored


# ------------------------------------------------------------------------------- reading


_READ = select(
    MirrorRow.__table__.c.data,
    MirrorRow.__table__.c.updated_at,
    MirrorRow.__table__.c.fetched_at,
    MirrorRow.__table__.c.source,
)


def stored_values(session: Session, porsi: str) -> dict[str, str | None] | None:
    """The stored export values of one porsi by export column name (None for no value), as
    the mirror keeps them (normalised); None when the porsi is not in the mirror."""
    row = session.execute(_READ.where(MirrorRow.__table__.c.porsi == porsi)).first()
    if row is None:
        return None
    data, updated_at, _, _ = row
    values = {"kd_porsi": porsi, **dict(zip(PACKED_COLUMNS, unpack(data), strict=True))}
    values["updated_at"] = updated_at
    return {c: (v if v != "" else None) for c, v in values.items()}


def get(session: Session, porsi: str) -> MirrorEntry | None:
    """The mirror copy of one porsi (primary-key lookup), parsed by integration.wire."""
    row = session.execute(_READ.where(MirrorRow.__table__.c.porsi == porsi)).first()
    if row is None:
        return None
    data, updated_at, fetched_at, source = row
    wire = dict(zip(PACKED_COLUMNS, unpack(data), strict=True))
    wire["kd_porsi"] = porsi
    wire["updated_at"] = updated_at
    return MirrorEntry(
        record=record_from_wire(wire),
        fetched_at=datetime.fromisoformat(fetched_at),
        updated_at=datetime.fromisoformat(updated_at),
        source=source,
    )


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(MirrorRow)).scalar_one())

"""Sync jobs that fill the mirror: a daily export file, the export of a date, the change feed."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

from db import VAR_DIR
from integration import mirror
from integration.client import SiskohatClient
from integration.mirror import ImportReport, Malformed


def sync_file(db, path: str | Path, *, export_date: date | None = None) -> ImportReport:
    """Import an export CSV (raises mirror.ExportFormatError for a missing file/wrong header)."""
    return mirror.import_csv(db, path, source="batch", export_date=export_date)


async def sync_date(
    db, client: SiskohatClient, day: date, *, var_dir: Path = VAR_DIR
) -> ImportReport:
    """Download the export of `day` into var/ekspor/ and import it.

    The import runs in a worker thread: it takes seconds to minutes and must not hold the loop.
    Raises the client's SiskohatError family when the export cannot be downloaded."""
    dest = Path(var_dir) / "ekspor" / f"{day.isoformat()}.csv"
    dest.parent.mkdir(parents=True, exist_ok=True)
    await client.download_export(day, dest)
    return await asyncio.to_thread(sync_file, db, dest, export_date=day)


async def sync_since(
    db, client: SiskohatClient, since: datetime, *, page_size: int = 1000
) -> ImportReport:
    """Page through the change feed from `since`, storing each page in its own transaction.

    Rows are validated like CSV rows; a malformed one is reported with its row number in the
    feed (1 = first row of the first page) and skipped. Raises the client's SiskohatError
    family when the feed cannot be read; pages stored before that stay stored."""
    report = ImportReport(name=f"perubahan sejak {since.isoformat()}")
    started = mirror.now_iso()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    row_no = 1
    async for page in client.iter_changes(since, page_size=page_size):
        with db.session() as session:
            mirror.upsert_records(session, page, source="feed", report=report, first_line=row_no)
        row_no += len(page)
    report.seconds = loop.time() - t0
    with db.session() as session:
        mirror.record_run(session, "feed", report, "feed", started)
    return report


__all__ = ["ImportReport", "Malformed", "sync_date", "sync_file", "sync_since"]

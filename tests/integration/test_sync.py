"""Sync jobs: a file, the export of a date, the change feed (against the real simulator)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from integration import mirror, sync
from integration.client import SiskohatClient, SiskohatUnavailable
from integration.simulator import FAULTS, base_url, serve
from tests.integration._mirrorrows import row, write

KEY = "k"


def _rows(n: int, start: int = 0) -> dict:
    # one change per minute, oldest first
    return {
        f"13{i:08d}": row(f"13{i:08d}", f"2024-03-01T{i // 60:02d}:{i % 60:02d}:00Z", nama=f"N{i}")
        for i in range(start, start + n)
    }


@pytest.fixture
async def sim():
    rows = _rows(25)
    runner = await serve(rows, port=0, key=KEY)
    yield runner, rows
    await runner.cleanup()


def _client(runner, **kw):
    opts = dict(timeout_s=1, total_timeout_s=3, retries=0, wait_initial_s=0.001, wait_max_s=0.01)
    opts.update(kw)
    return SiskohatClient(base_url(runner), KEY, **opts)


def _get(db, porsi):
    with db.session() as s:
        return mirror.get(s, porsi)


async def test_feed_pages_into_the_mirror(db, sim):
    runner, _rows = sim
    async with _client(runner) as client:
        rep = await sync.sync_since(
            db, client, datetime(2024, 3, 1, 0, 10, tzinfo=UTC), page_size=4
        )
        assert (rep.read, rep.inserted, rep.updated, len(rep.malformed)) == (15, 15, 0, 0)
        with db.session() as s:
            assert mirror.count(s) == 15
        entry = _get(db, "1300000024")
        assert entry.source == "feed" and entry.record.identity.name == "N24"
        assert _get(db, "1300000009") is None  # before `since`
        again = await sync.sync_since(db, client, datetime(2024, 3, 1, tzinfo=UTC), page_size=10)
        assert (again.read, again.inserted, again.unchanged) == (25, 10, 15)


async def test_feed_malformed_rows_reported_and_skipped(db):
    class Pages:
        async def iter_changes(self, since, page_size=1000):
            yield [row("1300000001"), {"kd_porsi": "1300000002", "updated_at": "nanti"}]
            yield [{"nama": "no porsi"}, row("1300000003", posisiporsi=7)]

    rep = await sync.sync_since(db, Pages(), datetime(2024, 1, 1, tzinfo=UTC))
    assert [(b.line, b.field) for b in rep.malformed] == [(2, "updated_at"), (3, "kd_porsi")]
    assert rep.inserted == 2
    assert _get(db, "1300000003").record.waiting.position == 7


async def test_feed_outage_raises_for_the_caller(db, sim):
    runner, _ = sim
    runner.app[FAULTS].error_rate = 1.0
    async with _client(runner) as client:
        with pytest.raises(SiskohatUnavailable):
            await sync.sync_since(db, client, datetime(2024, 1, 1, tzinfo=UTC))


async def test_sync_date_downloads_then_imports(db, sim, tmp_path):
    runner, _rows = sim
    async with _client(runner) as client:
        rep = await sync.sync_date(db, client, date(2024, 3, 1), var_dir=tmp_path)
    assert rep.inserted == 25
    assert (tmp_path / "ekspor" / "2024-03-01.csv").exists()
    assert _get(db, "1300000000").record.identity.name == "N0"


def test_sync_file(db, tmp_path):
    rep = sync.sync_file(db, write(tmp_path / "e.csv", [row("1300477219")]))
    assert rep.inserted == 1

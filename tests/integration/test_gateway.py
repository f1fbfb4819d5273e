"""Gateway.lookup: mirror hit, stale copy refreshed live and stored, Siskohat down, unknown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integration import mirror
from integration.client import SiskohatAuthError, SiskohatClient, SiskohatUnavailable
from integration.gateway import Gateway, InvalidPorsi, Source
from integration.simulator import base_url, serve
from integration.wire import record_from_wire
from tests.integration._mirrorrows import row, write

NOW = datetime.now(UTC)


class FakeClient:
    """Stands in for SiskohatClient.fetch_record: returns a record, None, or raises."""

    def __init__(self, result=None, error: Exception | None = None):
        self.result, self.error, self.calls = result, error, []

    async def fetch_record(self, porsi):
        self.calls.append(porsi)
        if self.error:
            raise self.error
        return self.result


@pytest.fixture
def loaded(any_db, tmp_path):
    """Mirror with 1300477219 imported (fetched_at = the real import time), on each database."""
    mirror.import_csv(any_db, write(tmp_path / "e.csv", [row("1300477219", "2024-03-01T00:00:00Z")]))
    return any_db


def _fetched_at(db, porsi):
    with db.session() as s:
        return mirror.get(s, porsi).fetched_at


async def test_fresh_mirror_copy_answers_without_siskohat(loaded):
    client = FakeClient(error=AssertionError("must not be called"))
    gw = Gateway(loaded, client, max_age_s=3600)
    got = await gw.lookup("1300477219")
    assert got.source is Source.MIRROR and not got.siskohat_down
    assert got.record.identity.name == "AHMAD FAUZI"
    assert got.as_of == _fetched_at(loaded, "1300477219")
    assert client.calls == []


async def test_stale_copy_is_refreshed_live_and_stored(loaded):
    later = _fetched_at(loaded, "1300477219") + timedelta(hours=2)
    live = record_from_wire(row("1300477219", "2024-03-09T00:00:00Z", status_jemaah="WAFAT"))
    client = FakeClient(result=live)
    gw = Gateway(loaded, client, max_age_s=3600, clock=lambda: later)
    got = await gw.lookup("1300477219")
    assert got.source is Source.LIVE and got.as_of == later
    assert got.record.identity.status.value == "WAFAT"
    with loaded.session() as s:
        stored = mirror.get(s, "1300477219")
    assert stored.source == "live" and stored.fetched_at == later
    assert stored.record.identity.status.value == "WAFAT"
    # now fresh again: the next lookup answers from the mirror
    again = await gw.lookup("1300477219")
    assert again.source is Source.MIRROR and len(client.calls) == 1


@pytest.mark.parametrize(
    "error", [SiskohatUnavailable("down"), SiskohatAuthError("401"), RuntimeError("bug")]
)
async def test_siskohat_down_answers_stale_with_as_of(loaded, error):
    imported = _fetched_at(loaded, "1300477219")
    later = imported + timedelta(minutes=2)
    gw = Gateway(loaded, FakeClient(error=error), max_age_s=60, clock=lambda: later)
    got = await gw.lookup("1300477219")
    assert got.source is Source.STALE and got.siskohat_down
    assert got.as_of == imported
    assert got.record.identity.name == "AHMAD FAUZI"
    unknown = await gw.lookup("1300477299")
    assert unknown.record is None and unknown.siskohat_down


async def test_unknown_porsi_everywhere(loaded):
    gw = Gateway(loaded, FakeClient(result=None), max_age_s=60)
    got = await gw.lookup("1300477299")
    assert got.record is None and got.source is Source.LIVE and not got.siskohat_down
    with pytest.raises(InvalidPorsi):
        await gw.lookup("123")


async def test_without_client_mirror_only(loaded):
    gw = Gateway(loaded, None, max_age_s=60, clock=lambda: NOW + timedelta(days=3650))
    got = await gw.lookup("1300477219")
    assert got.source is Source.STALE and not got.siskohat_down and got.record is not None


async def test_against_the_simulator_live_then_breaker_open(db):
    rows = {"1300477219": row("1300477219", "2024-03-01T00:00:00Z", nama="SIM")}
    runner = await serve(rows, port=0, key="k")
    try:
        async with SiskohatClient(
            base_url(runner), "k", timeout_s=1, total_timeout_s=2, retries=0, breaker_threshold=1
        ) as client:
            gw = Gateway(db, client, max_age_s=60)
            got = await gw.lookup("1300477219")
            assert got.source is Source.LIVE and got.record.identity.name == "SIM"
            await runner.cleanup()
            runner = None
            stale = Gateway(db, client, max_age_s=0, clock=lambda: NOW + timedelta(days=1))
            down = await stale.lookup("1300477219")
            assert down.source is Source.STALE and down.siskohat_down
            assert down.record.identity.name == "SIM"
    finally:
        if runner is not None:
            await runner.cleanup()


async def test_sqlite_reads_map_the_mirror_file(loaded):
    """The kept read connection maps the file (no page copied out of the OS cache per read);
    what it reads is the same record."""
    if loaded.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's memory-mapped reads")
    gateway = Gateway(loaded, None, max_age_s=10**9)
    try:
        got = await gateway.lookup("1300477219")
        assert got.record is not None and got.record.porsi == "1300477219"
        raw = gateway._local.raw.dbapi_connection
        assert raw.execute("PRAGMA mmap_size").fetchone()[0] > 1 << 30
    finally:
        gateway.close()

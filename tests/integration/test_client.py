"""SiskohatClient against the real simulator over loopback, with each fault flag."""

from __future__ import annotations

import asyncio
import csv
import logging
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

import integration.client as client_module
from integration.client import (
    SiskohatAuthError,
    SiskohatClient,
    SiskohatError,
    SiskohatUnavailable,
)
from integration.simulator import FAULTS, STATS, base_url, fake_account, load_rows, serve
from integration.wire import EXPORT_COLUMNS, WireError, record_from_wire
from knowledge.values import PaymentStatus, PilgrimStatus
from tests.integration._simdata import write_csv

KEY = "sim-key"
ALL = ("1300477219", "1300477220", "0100000001", "3500000002")


@pytest.fixture
def csv_path(tmp_path):
    return write_csv(tmp_path / "export.csv")


@pytest.fixture
async def server(csv_path):
    runner = await serve(csv_path, port=0, key=KEY, seed=7, hang_s=10)
    yield runner
    await runner.cleanup()


def app_of(runner):
    return runner.app


def make_client(runner, **kw) -> SiskohatClient:
    opts = dict(
        timeout_s=1.0,
        total_timeout_s=3.0,
        retries=3,
        breaker_threshold=100,
        breaker_ttl_s=30.0,
        wait_initial_s=0.001,
        wait_max_s=0.01,
        wait_jitter_s=0.0,
    )
    opts.update(kw)
    key = opts.pop("key", KEY)
    return SiskohatClient(base_url(runner), key, **opts)


def _calls(call: str, outcome: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "hajibot_siskohat_calls_total", {"call": call, "outcome": outcome}
        )
        or 0.0
    )


def requests(runner) -> int:
    return app_of(runner)[STATS]["total"]


# ------------------------------------------------------------------------------ happy path


async def test_fetch_record_merges_the_four_calls(server, csv_path):
    async with make_client(server) as c:
        r = await c.fetch_record("1300477219")
        assert requests(server) == 4
        want = record_from_wire(load_rows(csv_path)["1300477219"])
        assert r.porsi == "1300477219"
        assert r.waiting == want.waiting  # estimasi
        assert r.waiting.position == 1234  # the latest version
        assert r.payoff.status is PaymentStatus.LUNAS and r.payoff.season_hijri == 1447
        assert r.payoff.account_number == fake_account("1300477219")  # pelunasan only
        assert r.health == want.health and r.history == want.history  # jemaah
        assert r.identity == want.identity
        assert r.updated_at == datetime(2024, 3, 2, 2, 30, tzinfo=UTC)
        assert r.cancellation is None  # pembatalan "01"

        batal = await c.fetch_record("13-0047-7220")
        assert batal.identity.status is PilgrimStatus.BATAL
        assert batal.cancellation is not None
        assert batal.cancellation.account_number == fake_account("1300477220", 1)
        assert batal.identity.bank == "BANK MUAMALAT"  # not overwritten by pembatalan's bank

        unknown = await c.fetch_record("0100000001")
        assert unknown.identity.status is PilgrimStatus.UNKNOWN
        assert unknown.unknown_values == {"identity.status": "PINDAH"}


async def test_unknown_and_invalid_porsi(server):
    async with make_client(server) as c:
        assert await c.fetch_record("9999999999") is None
        before = requests(server)
        with pytest.raises(WireError):
            await c.fetch_record("12345")
        assert requests(server) == before  # rejected before any request


async def test_messy_backend_gives_the_same_records(csv_path):
    runner = await serve(csv_path, port=0, key=KEY, messy=True)
    try:
        rows = load_rows(csv_path)
        async with make_client(runner) as c:
            for porsi in ALL:
                got, want = await c.fetch_record(porsi), record_from_wire(rows[porsi])
                assert (got.identity, got.waiting, got.health, got.history) == (
                    want.identity, want.waiting, want.health, want.history)  # fmt: skip
                assert got.updated_at == want.updated_at
    finally:
        await runner.cleanup()


async def test_latency_within_timeout_succeeds(server):
    app_of(server)[FAULTS].latency_ms = 150
    async with make_client(server, timeout_s=1.0) as c:
        assert (await c.fetch_record("1300477219")).porsi == "1300477219"
    assert requests(server) == 4  # no retries were needed


# ------------------------------------------------------------------------------ faults


# The per-attempt timeout only needs to be short where the fault is a hang; elsewhere a
# generous one keeps a stalled CI machine from timing out a connect before the request
# reaches the simulator (which would make the request count below a matter of luck).
@pytest.mark.parametrize(
    "fault, value, timeout_s",
    [("error_rate", 1.0, 2.0), ("malformed_rate", 1.0, 2.0), ("timeout_rate", 1.0, 0.5)],
)
async def test_faults_are_retried_then_unavailable(server, fault, value, timeout_s):
    setattr(app_of(server)[FAULTS], fault, value)
    async with make_client(server, timeout_s=timeout_s, total_timeout_s=6.0, retries=2) as c:
        started = time.perf_counter()
        with pytest.raises(SiskohatUnavailable):
            await c.fetch_record("1300477219")
        assert time.perf_counter() - started < 6.5  # the total cap holds
        assert requests(server) == 4 * 3  # every call tried 1 + 2 retries
        assert await c.ping() is False


async def test_mixed_faults_never_leak_other_exceptions(csv_path):
    runner = await serve(
        csv_path, port=0, key=KEY, seed=3, error_rate=0.2, malformed_rate=0.2,
        timeout_rate=0.05, ratelimit_rate=0.05, retry_after_s=0, hang_s=5,
    )  # fmt: skip
    try:
        ok = down = 0
        async with make_client(runner, timeout_s=0.2, total_timeout_s=1.5, retries=3) as c:
            for i in range(12):
                try:
                    assert (await c.fetch_record(ALL[i % 4])) is not None
                    ok += 1
                except SiskohatUnavailable:
                    down += 1
        assert ok + down == 12 and ok > 0
    finally:
        await runner.cleanup()


async def test_retry_recovers_from_transient_5xx(server):
    app_of(server)[FAULTS].fail_next = 2
    async with make_client(server) as c:
        pages = [p async for p in c.iter_changes(datetime(2024, 1, 1, tzinfo=UTC))]
    assert sum(len(p) for p in pages) == 4
    assert requests(server) == 3


async def test_429_retry_after_is_honoured(server):
    faults = app_of(server)[FAULTS]
    faults.fail_next, faults.fail_status, faults.retry_after_s = 1, 429, 0.6
    async with make_client(server) as c:
        started = time.perf_counter()
        pages = [p async for p in c.iter_changes(datetime(2024, 1, 1, tzinfo=UTC))]
        elapsed = time.perf_counter() - started
    assert sum(len(p) for p in pages) == 4
    assert elapsed >= 0.55  # waited Retry-After, not the 1 ms backoff
    assert requests(server) == 2


async def test_429_longer_than_the_budget_gives_up_at_once(server):
    faults = app_of(server)[FAULTS]
    faults.fail_next, faults.fail_status, faults.retry_after_s = 1, 429, 120
    async with make_client(server, total_timeout_s=3.0) as c:
        started = time.perf_counter()
        with pytest.raises(SiskohatUnavailable):
            [p async for p in c.iter_changes(datetime(2024, 1, 1, tzinfo=UTC))]
        assert time.perf_counter() - started < 1.0
    assert requests(server) == 1


async def test_connection_refused_is_unavailable(server):
    url = base_url(server)
    await server.cleanup()
    async with SiskohatClient(url, KEY, timeout_s=0.5, total_timeout_s=1.0, retries=1,
                              wait_initial_s=0.001, wait_jitter_s=0) as c:  # fmt: skip
        with pytest.raises(SiskohatUnavailable):
            await c.fetch_record("1300477219")
        assert await c.ping() is False


# ------------------------------------------------------------------------------ breaker


async def test_breaker_opens_fails_fast_and_recovers(server):
    faults = app_of(server)[FAULTS]
    faults.error_rate = 1.0
    async with make_client(server, breaker_threshold=3, breaker_ttl_s=2.0, retries=2) as c:
        assert c.breaker_state == "closed"
        with pytest.raises(SiskohatUnavailable):
            await c.fetch_record("1300477219")
        assert c.breaker_state == "open"
        reached = requests(server)
        assert reached < 4 * 3  # opening cut the retries short
        assert (
            REGISTRY.get_sample_value(
                "hajibot_siskohat_breaker", {"hajibot_siskohat_breaker": "open"}
            )
            == 1
        )
        fast_before = _calls("estimasi", "breaker_open")

        costs = []
        for _ in range(20):
            started = time.perf_counter()
            with pytest.raises(SiskohatUnavailable):
                await c.fetch_record("1300477219")
            costs.append(time.perf_counter() - started)
        costs.sort()
        assert costs[10] < 0.002 and costs[-1] < 0.25  # no request, no backoff (GC and a busy CI aside)
        assert await c.ping() is False
        assert requests(server) == reached  # nothing reached the server
        assert _calls("estimasi", "breaker_open") == fast_before + 20

        faults.error_rate = 0.0  # Siskohat comes back
        await asyncio.sleep(2.05)  # past the TTL
        assert c.breaker_state == "half-open"
        assert (await c.fetch_record("1300477219")).porsi == "1300477219"
        assert c.breaker_state == "closed"
        assert await c.ping() is True


async def test_half_open_failure_reopens(server):
    faults = app_of(server)[FAULTS]
    faults.error_rate = 1.0
    async with make_client(server, breaker_threshold=2, breaker_ttl_s=1.0, retries=0) as c:
        for _ in range(2):
            assert await c.ping() is False
        assert c.breaker_state == "open"
        await asyncio.sleep(1.05)
        assert c.breaker_state == "half-open"
        assert await c.ping() is False  # one probe reaches the server and fails
        assert c.breaker_state == "open"


# ------------------------------------------------------------------------------ auth


async def test_wrong_key_raises_auth_error_without_retry_or_tripping(server):
    async with make_client(server, key="wrong", breaker_threshold=2) as c:
        for _ in range(3):
            with pytest.raises(SiskohatAuthError):
                await c.fetch_record("1300477219")
        assert requests(server) == 3 * 4  # one request per call: no retries
        assert c.breaker_state == "closed"  # a wrong key is not an outage
        assert await c.ping() is False
        with pytest.raises(SiskohatAuthError):
            await c.download_export(date(2024, 1, 1), Path("/nonexistent/x.csv"))


# ------------------------------------------------------------------------------ batch


async def test_iter_changes_pages(server):
    async with make_client(server) as c:
        pages = [p async for p in c.iter_changes(datetime(2024, 1, 1), page_size=3)]
        assert [len(p) for p in pages] == [3, 1]
        assert [r["kd_porsi"] for p in pages for r in p] == [
            "0100000001", "1300477220", "1300477219", "3500000002"]  # fmt: skip
        assert requests(server) == 2
        since = datetime(2024, 3, 2, tzinfo=UTC)
        assert [r["kd_porsi"] for p in [p async for p in c.iter_changes(since)] for r in p] == [
            "1300477219", "3500000002"]  # fmt: skip
        assert [p async for p in c.iter_changes(datetime(2030, 1, 1, tzinfo=UTC))] == []


async def test_download_export(server, tmp_path):
    async with make_client(server) as c:
        dest = await c.download_export(date(2024, 3, 2), tmp_path / "day.csv")
        with open(dest, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            assert tuple(next(reader)) == EXPORT_COLUMNS
            assert [r[0] for r in reader] == ["1300477219", "3500000002"]
        full = await c.download_export(date(2024, 1, 1), tmp_path / "full.csv")
        assert len(full.read_text().splitlines()) == 1 + 4  # the first export: full mirror

        with pytest.raises(SiskohatError) as err:
            await c.download_export(date(2023, 1, 1), tmp_path / "none.csv")
        assert not isinstance(err.value, SiskohatUnavailable)
        assert "2023-01-01" in str(err.value) and "404" in str(err.value)
        assert not (tmp_path / "none.csv").exists()
        assert not list(tmp_path.glob("*.part"))


async def test_download_export_retries_malformed_then_unavailable(server, tmp_path):
    app_of(server)[FAULTS].malformed_rate = 1.0
    async with make_client(server, retries=2) as c:
        with pytest.raises(SiskohatUnavailable):
            await c.download_export(date(2024, 3, 2), tmp_path / "day.csv")
    assert requests(server) == 3
    assert not (tmp_path / "day.csv").exists()


async def test_ping(server):
    async with make_client(server) as c:
        assert await c.ping() is True
    assert requests(server) == 1


# ------------------------------------------------------------------------------ hygiene


async def test_logs_carry_no_porsi_or_personal_data(server, caplog):
    caplog.set_level(logging.DEBUG)
    app_of(server)[FAULTS].fail_next = 1
    async with make_client(server) as c:
        await c.fetch_record("1300477219")
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "/siskohat/estimasi/{porsi}" in text  # the path template is logged ...
    assert "1300477219" not in text and "AHMAD" not in text  # ... never the porsi or a name


def test_tls_verification_is_never_disabled():
    source = Path(client_module.__file__).read_text()
    assert "ssl=False" not in source and "verify_ssl" not in source


# ---------------------------------------------------------------------- health (issue 18, #4)


async def test_health_is_from_memory_and_tracks_the_last_success(server):
    async with make_client(server) as client:
        before = client.health()
        assert before["state"] == "unknown" and before["last_success"] is None
        assert before["breaker"] == "closed"
        await client.fetch_record("1300477219")
        after = client.health()
        assert after["state"] == "ok" and after["last_success"] is not None
        assert 0 <= after["last_success_age_s"] < 5
        total = app_of(server)[STATS]["total"]
        for _ in range(5):
            client.health()
        assert app_of(server)[STATS]["total"] == total  # health() sends nothing


async def test_wrong_key_is_auth_error_not_an_outage(server):
    async with make_client(server, key="wrong", breaker_threshold=2) as client:
        for _ in range(4):
            assert await client.check() == "auth_error"
        assert client.breaker_state == "closed"
        assert client.health()["state"] == "auth_error"
        assert await client.ping() is False


async def test_check_names_an_outage(server):
    app_of(server)[FAULTS].fail_next = 1
    async with make_client(server) as client:
        assert await client.check() == "unavailable"
        assert await client.check() == "ok"
        assert client.health()["state"] == "ok"

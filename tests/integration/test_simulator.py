"""The Siskohat simulator serves the contract from an export CSV, with seeded fault injection."""

from __future__ import annotations

import csv
import io
import json

import aiohttp
import pytest

from integration.simulator import (
    FAULTS,
    STATS,
    RowStore,
    base_url,
    build_app,
    fake_account,
    load_rows,
    serve,
)
from integration.wire import (
    ESTIMASI_FIELDS,
    EXPORT_COLUMNS,
    JEMAAH_FIELDS,
    PELUNASAN_FIELDS,
    PEMBATALAN_FIELDS,
    parse_date,
    record_from_wire,
)
from tests.integration._simdata import write_csv

KEY = "sim-key"
H = {"x-key": KEY}


@pytest.fixture
def csv_path(tmp_path):
    return write_csv(tmp_path / "export.csv")


@pytest.fixture
async def sim(aiohttp_client, csv_path):
    """(test client, app) for the simulator over the fixture CSV."""
    app = build_app(csv_path, key=KEY, seed=1)
    client = await aiohttp_client(app)
    return client, app


def test_load_rows_keeps_latest_version(csv_path):
    rows = load_rows(csv_path)
    assert set(rows) == {"1300477219", "1300477220", "0100000001", "3500000002"}
    assert rows["1300477219"]["posisiporsi"] == "1234"  # the later line, not the 2024-01-01 one
    assert rows["0100000001"]["nama"] == "HASAN, BIN ALI"  # quoted comma


def test_file_index_and_dict_store_agree(csv_path, tmp_path):
    from_file = RowStore.from_csv(csv_path)
    from_dict = RowStore.from_rows(load_rows(csv_path))
    assert len(from_file) == len(from_dict) == 4
    for porsi in ("1300477219", "1300477220", "0100000001", "3500000002"):
        assert from_file.get(porsi) == from_dict.get(porsi)
    assert from_file.get("9999999999") is None
    # a newer version earlier in the file still wins over an older one later
    lines = csv_path.read_text().splitlines()
    reordered = tmp_path / "r.csv"
    reordered.write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n")
    assert RowStore.from_csv(reordered).get("1300477219")["posisiporsi"] == "1234"


async def test_read_calls_answer_exactly_the_contract_fields(sim):
    client, _ = sim
    expected = {
        "estimasi": ESTIMASI_FIELDS,
        "pelunasan": PELUNASAN_FIELDS,
        "jemaah": JEMAAH_FIELDS,
        "pembatalan": PEMBATALAN_FIELDS,
    }
    for call, fields in expected.items():
        resp = await client.get(f"/siskohat/{call}/1300477220", headers=H)
        assert resp.status == 200
        body = await resp.json()
        assert body["ResponseCode"] == "00" and body["ResposeMessage"] == "Sukses"
        assert list(body["Data"][0]) == list(fields)
    est = (await (await client.get("/siskohat/estimasi/1300477219", headers=H)).json())["Data"][0]
    assert est["posisiporsi"] == "1234" and est["status_bayar"] == "LUNAS"  # numbers as strings
    pel = (await (await client.get("/siskohat/pelunasan/1300477219", headers=H)).json())["Data"][0]
    assert pel["nomor_porsi"] == "1300477219" and pel["tahap_pelunasan"] == "TAHAP I"
    assert pel["nomor_rekening"] == fake_account("1300477219")
    assert len(pel["nomor_rekening"]) == 10


async def test_pembatalan_only_for_batal(sim):
    client, _ = sim
    body = await (await client.get("/siskohat/pembatalan/1300477219", headers=H)).json()
    assert body["ResponseCode"] == "01" and body["Data"] == []
    body = await (await client.get("/siskohat/pembatalan/1300477220", headers=H)).json()
    data = body["Data"][0]
    assert data["status_pembatalan"] in ("SELESAI", "PROSES")
    assert parse_date(data["tgl_batal_pendaftaran"]) is not None


async def test_unknown_and_malformed_porsi(sim):
    client, _ = sim
    body = await (await client.get("/siskohat/estimasi/9999999999", headers=H)).json()
    assert body == {"ResponseCode": "01", "ResposeMessage": "Data tidak ditemukan", "Data": []}
    body = await (await client.get("/siskohat/estimasi/12ab", headers=H)).json()
    assert body["ResponseCode"] == "99" and body["Data"] == []


@pytest.mark.parametrize("headers", [{}, {"x-key": "wrong"}])
async def test_wrong_key_is_401_with_envelope(sim, headers):
    client, _ = sim
    resp = await client.get("/siskohat/estimasi/1300477219", headers=headers)
    assert resp.status == 401
    assert (await resp.json())["Data"] == []


async def test_change_feed_pages_oldest_first(sim):
    client, _ = sim
    seen, page = [], 1
    while page is not None:
        resp = await client.get(
            "/siskohat/perubahan",
            params={"sejak": "2024-01-01T00:00:00Z", "halaman": page, "ukuran": 3},
            headers=H,
        )
        body = await resp.json()
        seen.extend(r["kd_porsi"] for r in body["Data"])
        assert set(body["Data"][0]) == set(EXPORT_COLUMNS)
        page = body["HalamanBerikutnya"]
    # 0100000001 07:00Z, 1300477220 03-01, 1300477219 03-02 02:30Z, 3500000002 03-02 16:59Z
    assert seen == ["0100000001", "1300477220", "1300477219", "3500000002"]
    body = await (
        await client.get("/siskohat/perubahan", params={"sejak": "2024-03-02T00:00:00"}, headers=H)
    ).json()
    assert [r["kd_porsi"] for r in body["Data"]] == ["1300477219", "3500000002"]
    assert body["HalamanBerikutnya"] is None
    body = await (
        await client.get("/siskohat/perubahan", params={"sejak": "2030-01-01"}, headers=H)
    ).json()
    assert body["ResponseCode"] == "01" and body["Data"] == []
    resp = await client.get("/siskohat/perubahan", params={"sejak": "kemarin"}, headers=H)
    assert resp.status == 400


async def _export(client, name):
    resp = await client.get(f"/siskohat/ekspor/{name}.csv", headers=H)
    return resp.status, await resp.text()


async def test_exports(sim):
    client, _ = sim
    status, text = await _export(client, "2024-01-01")  # the first day: the full mirror
    assert status == 200
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert sorted(r[0] for r in rows[1:]) == ["0100000001", "1300477219", "1300477220",
                                             "3500000002"]  # fmt: skip
    status, full = await _export(client, "lengkap")
    assert status == 200 and full == text
    status, text = await _export(client, "2024-03-02")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["kd_porsi"] for r in rows] == ["1300477219", "3500000002"]
    assert rows[0]["nama"] == "AHMAD FAUZI" and rows[0]["posisiporsi"] == "1234"
    status, text = await _export(client, "2024-02-15")  # a quiet day: header only
    assert status == 200 and text.strip() == ",".join(EXPORT_COLUMNS)
    assert (await _export(client, "2023-12-31"))[0] == 404
    assert (await _export(client, "2999-01-01"))[0] == 404
    assert (await _export(client, "kemarin"))[0] == 404


async def test_export_from_dict_rows_quotes_commas(aiohttp_client, csv_path):
    client = await aiohttp_client(build_app(load_rows(csv_path), key=KEY))
    status, text = await _export(client, "lengkap")
    assert status == 200 and '"HASAN, BIN ALI"' in text
    rows = {r["kd_porsi"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["0100000001"]["nama"] == "HASAN, BIN ALI"


async def test_messy_values_are_deterministic_and_still_mean_the_same(aiohttp_client, csv_path):
    client = await aiohttp_client(build_app(csv_path, key=KEY, messy=True))
    rows = load_rows(csv_path)
    variants = set()
    for porsi, row in rows.items():
        bodies = []
        for _ in range(2):
            merged = {}
            for call in ("estimasi", "pelunasan", "jemaah"):
                body = json.loads(await (await client.get(f"/siskohat/{call}/{porsi}",
                                                          headers=H)).text())  # fmt: skip
                variants.add("ResponseMessage" in body)
                merged.update(body["Data"][0])
            bodies.append(merged)
        assert bodies[0] == bodies[1]  # deterministic
        got, want = record_from_wire(bodies[0]), record_from_wire(row)
        assert (got.identity, got.waiting, got.health, got.history) == (
            want.identity, want.waiting, want.health, want.history)  # fmt: skip
        assert got.payoff.status == want.payoff.status and got.payoff.bipih == want.payoff.bipih
        variants.update(type(v).__name__ for v in bodies[0].values())
        variants.update(
            "mixed-case" for k, v in bodies[0].items()
            if k.startswith("status") and isinstance(v, str) and v != v.upper()
        )  # fmt: skip
    assert {True, False, "int", "NoneType", "mixed-case"} <= variants


async def _statuses(app, n):
    from aiohttp.test_utils import TestClient, TestServer

    async with TestClient(TestServer(app)) as client:
        out = []
        for _ in range(n):
            resp = await client.get("/siskohat/estimasi/1300477219", headers=H)
            body = await resp.read()
            if resp.status != 200:
                out.append(resp.status)
                continue
            try:
                json.loads(body)
                out.append(resp.status)
            except ValueError:
                out.append("bad")
        return out


async def test_faults_are_seeded_and_cover_each_kind(csv_path):
    kw = dict(key=KEY, error_rate=0.3, malformed_rate=0.3, ratelimit_rate=0.1, seed=42)
    first = await _statuses(build_app(csv_path, **kw), 60)
    again = await _statuses(build_app(csv_path, **kw), 60)
    assert first == again
    assert {200, "bad", 429} <= set(first) and ({500, 503} & set(first))


async def test_latency_and_scripted_faults(sim):
    import time

    client, app = sim
    app[FAULTS].latency_ms = 100
    started = time.perf_counter()
    assert (await client.get("/siskohat/estimasi/1300477219", headers=H)).status == 200
    assert time.perf_counter() - started >= 0.09
    app[FAULTS].latency_ms = 0
    app[FAULTS].fail_next, app[FAULTS].fail_status, app[FAULTS].retry_after_s = 1, 429, 2
    resp = await client.get("/siskohat/estimasi/1300477219", headers=H)
    assert resp.status == 429 and resp.headers["Retry-After"] == "2"
    assert (await client.get("/siskohat/estimasi/1300477219", headers=H)).status == 200
    assert app[STATS]["read"] == 3


async def test_timeout_fault_hangs_until_shutdown(csv_path):
    import asyncio
    import time

    runner = await serve(csv_path, port=0, key=KEY, timeout_rate=1.0, hang_s=20)
    try:
        async with aiohttp.ClientSession() as s:
            with pytest.raises(TimeoutError):
                await s.get(f"{base_url(runner)}/siskohat/estimasi/1300477219", headers=H,
                            timeout=aiohttp.ClientTimeout(total=0.2))  # fmt: skip
    finally:
        started = time.perf_counter()
        await runner.cleanup()
        assert time.perf_counter() - started < 5
    await asyncio.sleep(0)


async def test_serve_on_port_zero(csv_path):
    runner = await serve(csv_path, port=0, key=KEY)
    try:
        url = base_url(runner)
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
        async with aiohttp.ClientSession() as s, \
                s.get(f"{url}/siskohat/jemaah/3500000002", headers=H) as resp:
            body = await resp.json()
        assert body["Data"][0]["status_jemaah"] == "WAFAT"
    finally:
        await runner.cleanup()


async def test_export_days_are_wib_calendar_days(aiohttp_client, csv_path):
    rows = load_rows(csv_path)
    rows["0100000001"]["updated_at"] = "2024-03-02T18:00:00Z"  # 01:00 on 3 March in Jakarta
    client = await aiohttp_client(build_app(rows, key=KEY))
    _, text = await _export(client, "2024-03-03")
    assert [r["kd_porsi"] for r in csv.DictReader(io.StringIO(text))] == ["0100000001"]
    _, text = await _export(client, "2024-03-02")
    assert "0100000001" not in text


def test_run_prints_its_url_and_serves(csv_path):
    import signal
    import subprocess
    import sys
    import urllib.request

    code = f"from integration.simulator import run; raise SystemExit(run({str(csv_path)!r}, port=0, key={KEY!r}))"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split()[3]
        assert url.startswith("http://127.0.0.1:")
        req = urllib.request.Request(f"{url}/siskohat/estimasi/1300477219", headers=H)
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert json.load(resp)["Data"][0]["posisiporsi"] == "1234"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_chunked_sort_gives_the_same_store(csv_path, monkeypatch):
    import integration.sim_store as sim_module

    lines = csv_path.read_text().splitlines()
    csv_path.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")  # unsorted, dup
    whole = RowStore.from_csv(csv_path)
    monkeypatch.setattr(sim_module, "_SORT_CHUNK", 2)  # force several merged runs
    chunked = RowStore.from_csv(csv_path)
    assert list(chunked._porsis) == sorted(chunked._porsis) == list(whole._porsis)
    assert list(chunked._by_time) == list(whole._by_time)
    assert list(chunked._times) == sorted(chunked._times)
    assert chunked.get("1300477219")["posisiporsi"] == "1234"
    assert sim_module._sort_packed(iter([5, 3, 9, 1, 7])).tolist() == [1, 3, 5, 7, 9]


async def test_clean_file_is_served_as_the_full_export(aiohttp_client, csv_path):
    lines = csv_path.read_text().splitlines()
    csv_path.write_text("\n".join([lines[0], *lines[2:]]) + "\n")  # no duplicate porsi
    store = RowStore.from_csv(csv_path)
    assert store.full_file == csv_path
    client = await aiohttp_client(build_app(store, key=KEY))
    status, text = await _export(client, "lengkap")
    assert status == 200 and text == csv_path.read_text()
    status, day = await _export(client, "2024-03-02")  # other days: only that day's rows
    assert [r["kd_porsi"] for r in csv.DictReader(io.StringIO(day))] == [
        "1300477219", "3500000002"]  # fmt: skip


async def test_identity_names_the_instance_and_the_data(csv_path, tmp_path):
    """Who answers on a port: this simulator (instance), the same data (fingerprint), this key."""
    from integration.simulator import INSTANCE, data_fingerprint, identify

    runner = await serve(csv_path, port=0, key=KEY)
    try:
        url = base_url(runner)
        found = await identify(url, KEY)
        assert found["instance"] == runner.app[INSTANCE]
        assert found["data"] == data_fingerprint(csv_path)
        copy = tmp_path / "copy.csv"
        copy.write_bytes(csv_path.read_bytes())
        assert data_fingerprint(copy) == found["data"]  # same content elsewhere: the same data
        copy.write_bytes(csv_path.read_bytes().replace(b"AHMAD", b"AHMAT"))
        assert data_fingerprint(copy) != found["data"]
        assert await identify(url, "other-key") is None
        assert runner.app[STATS]["total"] == 0  # not counted as contract traffic
    finally:
        await runner.cleanup()


async def test_identify_a_silent_stranger_is_none_quickly():
    import socket
    import time

    from integration.simulator import identify

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        started = time.perf_counter()
        assert await identify(f"http://127.0.0.1:{sock.getsockname()[1]}", KEY,
                              timeout_s=0.3) is None
        assert time.perf_counter() - started < 2

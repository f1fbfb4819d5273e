"""A Siskohat simulator: an aiohttp server serving the whole contract from an export-format CSV.

Routes (all need the `x-key` header; a wrong or missing key gets HTTP 401 with an envelope):
- `GET /siskohat/{estimasi,pelunasan,pembatalan,jemaah}/{porsi}`: `Data[0]` with exactly the
  fields of the contract table, mapped from the export columns. `pelunasan.nomor_rekening` is a
  deterministic fake derived from the porsi (the export has no account number). `pembatalan`
  answers "01" unless `status_jemaah` is BATAL, then plausible synthetic fields. An unknown
  porsi answers "01" with empty `Data`; a porsi that is not 10 digits answers "99".
- `GET /siskohat/perubahan?sejak=&halaman=&ukuran=`: rows with `updated_at >= sejak`, oldest
  change first (ties by porsi), paged, `HalamanBerikutnya` = next page or null.
- `GET /siskohat/_simulator` (not in the contract): who answers - `{"service":
  "hajibot-siskohat-simulator", "instance": <random per start>, "data": <fingerprint of the
  data>}`, so a hajibot can tell its own (or a twin with the same data) from a stranger on the
  port (`identify`, `data_fingerprint`).
- `GET /siskohat/ekspor/{YYYY-MM-DD}.csv`: rows whose `updated_at` falls on that calendar day
  in WIB (UTC+7, Siskohat's own clock; a naive `updated_at` counts as UTC), in
  the export column order. Choice for "the first export is the full mirror": the export of the
  EARLIEST day in the data is the full mirror (every porsi, latest version), and so is
  `GET /siskohat/ekspor/lengkap.csv` at any time. A day before the earliest day, or after both
  the latest day in the data and today, is 404 (no export published).

Each porsi holds only its most recent row (largest `updated_at`; on a tie the later line wins).

Faults (probabilities, drawn from one `random.Random(seed)` per app, so a seeded run repeats):
`latency_ms` (added to every request), `error_rate` (HTTP 500/503), `timeout_rate` (hangs for
`hang_s`, longer than any client timeout), `malformed_rate` (a non-JSON page or truncated JSON),
`ratelimit_rate` (HTTP 429 with `Retry-After: retry_after_s`); and scripted: `fail_next` requests
answer `fail_status`. `messy=True` makes values look
like a real back-end, deterministically per porsi: status case/spacing variants, dates as
DD-MM-YYYY, some numbers as JSON numbers, blanks as null, `ResponseMessage` instead of the
usual misspelt `ResposeMessage`. Fault settings live in `app[FAULTS]` and may be changed live.

Memory: a CSV path is indexed, not loaded: sorted porsi numbers, file offsets and change order in
`array`s (32 bytes per row); rows are read back with `os.pread` and parsed per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import os
import random
import secrets
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from integration.sim_store import (
    EXPORT_TZ,
    RowStore,
    load_rows,
)
from integration.wire import (
    ESTIMASI_FIELDS,
    EXPORT_COLUMNS,
    JEMAAH_FIELDS,
    PELUNASAN_FIELDS,
    WireError,
    parse_datetime,
    parse_porsi,
)
from knowledge.values import norm_code

_CSV_MEDIA = "text/csv"


# ------------------------------------------------------------------------------ the server


@dataclass
class Faults:
    latency_ms: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    malformed_rate: float = 0.0
    ratelimit_rate: float = 0.0
    retry_after_s: float = 1.0
    hang_s: float = 30.0
    messy: bool = False
    fail_next: int = 0  # the next N requests answer `fail_status` (scripted faults for tests)
    fail_status: int = 503


STORE = web.AppKey("store", RowStore)
FAULTS = web.AppKey("faults", Faults)
RANDOM = web.AppKey("random", random.Random)
STATS = web.AppKey("stats", Counter)  # requests that reached the server, by route name
_KEY = web.AppKey("key", str)
INSTANCE = web.AppKey("instance", str)  # random per app: "is this my simulator?"
DATA_ID = web.AppKey("data_id", str)  # data_fingerprint() of what it serves
SERVICE = "hajibot-siskohat-simulator"
_CLOSING = web.AppKey("closing", asyncio.Event)


def _envelope(code: str, message: str, data: list, messy_porsi: int | None = None, **extra):
    key = "ResponseMessage" if messy_porsi is not None and messy_porsi % 2 else "ResposeMessage"
    return {"ResponseCode": code, key: message, "Data": data, **extra}


def _json(payload: dict, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)


_STATUS_FIELDS = frozenset({
    "status_jemaah", "status_bayar", "status_pelunasan", "status_istithaah", "status_nikah",
    "tahap_pelunasan", "kategori_prioritas",
})  # fmt: skip
_DATE_FIELDS = frozenset(
    {
        "tgl_lahir",
        "tgl_daftar",
        "tgl_istithaah",
        "tgl_batal_pendaftaran",
        "tgl_batal_kankemenag",
        "tgl_spm_bpkh",
        "tgl_transfer_bps",
    }
)
_NUMBER_FIELDS = frozenset(
    {
        "posisiporsi",
        "kuotapropinsi",
        "berangkatmasehi",
        "berangkathijriah",
        "biaya_bipih",
        "setoran_awal",
        "nilai_manfaat",
        "jumlah_pelunasan",
    }
)


def _messy(data: dict[str, Any], h: int) -> dict[str, Any]:
    """Deterministic back-end mess for one porsi (h = the porsi as int)."""
    out: dict[str, Any] = {}
    for i, (k, v) in enumerate(data.items()):
        if v == "" or v is None:
            out[k] = None if (h + i) % 3 == 0 else ""
        elif k in _STATUS_FIELDS:
            variant = (h + i) % 4
            if variant == 1:
                v = v.title()
            elif variant == 2:
                v = " " + v.lower().replace(" ", "  ") + " "
            elif variant == 3:
                v = v.replace(" ", "_") if "_" not in v else v
            out[k] = v
        elif k in _DATE_FIELDS and len(v) == 10 and v[4] == "-" and h % 2:
            out[k] = f"{v[8:10]}-{v[5:7]}-{v[0:4]}"
        elif k in _NUMBER_FIELDS and v.isdigit() and (h + i) % 2:
            out[k] = int(v)
        else:
            out[k] = v
    return out


def fake_account(porsi: str, salt: int = 0) -> str:
    """A deterministic 10-digit fake account number for a porsi (not a real account)."""
    return f"{(int(porsi) * 7919 + 104729 * (salt + 1)) % 10**10:010d}"


def _pick(row: Mapping[str, str], fields: tuple[str, ...], porsi: str) -> dict[str, str]:
    return {f: (porsi if f == "nomor_porsi" else row.get(f, "") or "") for f in fields}


def _estimasi(row, porsi):
    return _pick(row, ESTIMASI_FIELDS, porsi)


def _pelunasan(row, porsi):
    data = _pick(row, PELUNASAN_FIELDS, porsi)
    if not data["nomor_rekening"]:
        data["nomor_rekening"] = fake_account(porsi)
    return data


def _pembatalan(row, porsi):
    if norm_code(row.get("status_jemaah")) != "BATAL":
        return None
    day = (row.get("updated_at") or "")[:10]
    done = int(porsi) % 2 == 0
    return {
        "nomor_porsi": porsi,
        "nama": row.get("nama", ""),
        "nama_ahli_waris": "",
        "bank": row.get("bank", ""),
        "nomor_rekening": fake_account(porsi, 1),
        "status_pembatalan": "SELESAI" if done else "PROSES",
        "tgl_batal_pendaftaran": day,
        "tgl_batal_kankemenag": day,
        "no_spm_bpkh": f"SPM-{porsi[-6:]}" if done else "",
        "tgl_spm_bpkh": day if done else "",
        "tgl_transfer_bps": day if done else "",
        "status_transfer": "SUDAH TRANSFER" if done else "BELUM TRANSFER",
    }


def _jemaah(row, porsi):
    return _pick(row, JEMAAH_FIELDS, porsi)


_READ_CALLS = {
    "estimasi": _estimasi,
    "pelunasan": _pelunasan,
    "pembatalan": _pembatalan,
    "jemaah": _jemaah,
}


@web.middleware
async def _gate(request: web.Request, handler):
    """Count, delay, inject faults, check the key - in that order, before any handler."""
    app = request.app
    route = request.match_info.route.name or "other"
    if route == "identitas":  # who answers: no faults, not counted, the key still checked
        if request.headers.get("x-key") != app[_KEY]:
            return _json(_envelope("401", "Unauthorized: x-key salah atau tidak ada", []), 401)
        return await handler(request)
    app[STATS][route] += 1
    app[STATS]["total"] += 1
    faults, rnd = app[FAULTS], app[RANDOM]
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.fail_next > 0:
        faults.fail_next -= 1
        headers = {"Retry-After": f"{faults.retry_after_s:g}"} if faults.fail_status == 429 else {}
        return web.Response(status=faults.fail_status, text="scripted fault", headers=headers)
    roll = rnd.random()
    if roll < faults.timeout_rate:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(app[_CLOSING].wait(), faults.hang_s)
        raise web.HTTPGatewayTimeout()
    roll -= faults.timeout_rate
    if roll < faults.error_rate:
        status = 503 if rnd.random() < 0.5 else 500
        return web.Response(status=status, text="Service Unavailable")
    roll -= faults.error_rate
    if roll < faults.malformed_rate:
        if route == "ekspor" or rnd.random() < 0.5:
            return web.Response(
                text="<html><body>Bad Gateway</body></html>", content_type="text/html"
            )
        return web.Response(
            text='{"ResponseCode": "00", "ResposeMessage": "Suk', content_type="application/json"
        )
    roll -= faults.malformed_rate
    if roll < faults.ratelimit_rate:
        return web.Response(
            status=429,
            text="Too Many Requests",
            headers={"Retry-After": f"{faults.retry_after_s:g}"},
        )
    if request.headers.get("x-key") != app[_KEY]:
        return _json(_envelope("401", "Unauthorized: x-key salah atau tidak ada", []), 401)
    return await handler(request)


async def _read_call(request: web.Request) -> web.Response:
    call = request.match_info["call"]
    store = request.app[STORE]
    messy = request.app[FAULTS].messy
    try:
        porsi = parse_porsi(request.match_info["porsi"])
    except WireError:
        return _json(_envelope("99", "Nomor porsi tidak valid", []))
    h = int(porsi) if messy else None
    row = store.get(porsi)
    data = _READ_CALLS[call](row, porsi) if row is not None else None
    if data is None:
        return _json(_envelope("01", "Data tidak ditemukan", [], h))
    if messy:
        data = _messy(data, int(porsi))
    return _json(_envelope("00", "Sukses", [data], h))


async def _changes(request: web.Request) -> web.Response:
    store = request.app[STORE]
    messy = request.app[FAULTS].messy
    q = request.query
    try:
        since = parse_datetime(q.get("sejak"), "sejak")
        page = int(q.get("halaman", "1"))
        size = int(q.get("ukuran", "1000"))
    except (WireError, ValueError):
        return _json(_envelope("99", "Parameter tidak valid", []), 400)
    if since is None or page < 1 or not 1 <= size <= 10_000:
        return _json(_envelope("99", "Parameter tidak valid", []), 400)
    rows, more = store.changed_since(since, (page - 1) * size, size)
    if messy:
        rows = [_messy(r, int(r["kd_porsi"])) for r in rows]
    code, message = ("00", "Sukses") if rows else ("01", "Tidak ada perubahan")
    return _json(_envelope(code, message, rows, HalamanBerikutnya=page + 1 if more else None))


async def _export(request: web.Request) -> web.StreamResponse:
    store = request.app[STORE]
    name = request.match_info["name"]
    full = name == "lengkap"
    if full:
        indexes = store.all_indexes()
    else:
        try:
            day = date.fromisoformat(name)
        except ValueError:
            raise web.HTTPNotFound(text="no such export") from None
        first, last = store.first_day, store.last_day
        newest = max(last or day, datetime.now(EXPORT_TZ).date())
        if first is None or day < first or day > newest:
            raise web.HTTPNotFound(text=f"no export for {day.isoformat()}")
        full = day == first
        indexes = store.all_indexes() if full else store.day_indexes(day)
    if full and store.full_file is not None:
        return web.FileResponse(
            store.full_file, headers={"Content-Type": f"{_CSV_MEDIA}; charset=utf-8"}
        )
    resp = web.StreamResponse(headers={"Content-Type": f"{_CSV_MEDIA}; charset=utf-8"})
    await resp.prepare(request)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    chunk: list[bytes] = [buf.getvalue().encode()]
    size = 0
    for n, i in enumerate(indexes, 1):
        line = store.raw_line(i)
        if line is None:
            buf.seek(0)
            buf.truncate()
            row = store.row(i)
            writer.writerow([row.get(c, "") for c in EXPORT_COLUMNS])
            data = buf.getvalue().encode()
        else:
            data = line + b"\n"
        chunk.append(data)
        size += len(data)
        if size >= 1 << 16:
            await resp.write(b"".join(chunk))
            chunk, size = [], 0
        if n % 5000 == 0:
            await asyncio.sleep(0)  # let other requests through during a big export
    if chunk:
        await resp.write(b"".join(chunk))
    await resp.write_eof()
    return resp


async def _identity(request: web.Request) -> web.Response:
    app = request.app
    return _json({"service": SERVICE, "instance": app[INSTANCE], "data": app[DATA_ID]})


def data_fingerprint(data: Mapping[str, Mapping[str, Any]] | RowStore | str | Path) -> str:
    """A cheap identity of the data: for a file its size and the hashes of its first and last
    64 KiB (a national CSV is not read whole); for rows a hash of their JSON."""
    h = hashlib.sha256()
    if isinstance(data, str | Path):
        with open(data, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            h.update(str(size).encode())
            h.update(f.read(1 << 16))
            if size > 1 << 16:
                f.seek(max(1 << 16, size - (1 << 16)))
                h.update(f.read())
    elif isinstance(data, RowStore):
        h.update(f"store:{id(data)}".encode())  # built in-process: only itself is the same data
    else:
        h.update(json.dumps(data, sort_keys=True, default=str).encode())
    return h.hexdigest()[:32]


async def identify(url: str, key: str, timeout_s: float = 1.0) -> dict | None:
    """What `GET /siskohat/_simulator` at `url` says, or None when whatever listens there is
    not a hajibot simulator taking this key (no answer in time, 401, 404, not JSON...)."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as s, \
                s.get(url.rstrip("/") + "/siskohat/_simulator", headers={"x-key": key}) as resp:
            if resp.status != 200:
                return None
            body = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("service") != SERVICE:
        return None
    return body


async def _on_shutdown(app: web.Application) -> None:
    app[_CLOSING].set()  # wake hanging "timeout" handlers


def build_app(
    rows_or_csv_path: Mapping[str, Mapping[str, Any]] | RowStore | str | Path,
    *,
    key: str,
    latency_ms: float = 0,
    error_rate: float = 0.0,
    timeout_rate: float = 0.0,
    malformed_rate: float = 0.0,
    ratelimit_rate: float = 0.0,
    retry_after_s: float = 1.0,
    hang_s: float = 30.0,
    messy: bool = False,
    seed: int | None = None,
) -> web.Application:
    """The simulator as an aiohttp app (rows: porsi -> export row, a RowStore, or a CSV path)."""
    if isinstance(rows_or_csv_path, RowStore):
        store = rows_or_csv_path
    elif isinstance(rows_or_csv_path, str | Path):
        store = RowStore.from_csv(rows_or_csv_path)
    else:
        store = RowStore.from_rows(rows_or_csv_path)
    app = web.Application(middlewares=[_gate])
    app[STORE] = store
    app[FAULTS] = Faults(
        latency_ms=latency_ms,
        error_rate=error_rate,
        timeout_rate=timeout_rate,
        malformed_rate=malformed_rate,
        ratelimit_rate=ratelimit_rate,
        retry_after_s=retry_after_s,
        hang_s=hang_s,
        messy=messy,
    )
    app[RANDOM] = random.Random(seed)
    app[STATS] = Counter()
    app[_KEY] = key
    app[INSTANCE] = secrets.token_hex(16)
    app[DATA_ID] = data_fingerprint(rows_or_csv_path)
    app[_CLOSING] = asyncio.Event()
    app.on_shutdown.append(_on_shutdown)
    call_pattern = "{call:estimasi|pelunasan|pembatalan|jemaah}"
    app.router.add_get(f"/siskohat/{call_pattern}/{{porsi}}", _read_call, name="read")
    app.router.add_get("/siskohat/perubahan", _changes, name="perubahan")
    app.router.add_get("/siskohat/ekspor/{name}.csv", _export, name="ekspor")
    app.router.add_get("/siskohat/_simulator", _identity, name="identitas")
    return app


async def serve(
    csv_path: str | Path | Mapping[str, Mapping[str, Any]],
    host: str = "127.0.0.1",
    port: int = 8790,
    key: str = "demo-key",
    **faults: Any,
) -> web.AppRunner:
    """Start the simulator; returns the runner (`runner.addresses[0]` has the bound port;
    stop it with `await runner.cleanup()`)."""
    app = build_app(csv_path, key=key, **faults)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:  # port taken: leave nothing half-started behind
        await runner.cleanup()
        raise
    return runner


def base_url(runner: web.AppRunner) -> str:
    """http://host:port of a runner started by `serve` (useful with port 0)."""
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


def run(
    csv_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8790,
    key: str = "demo-key",
    **faults: Any,
) -> int:
    """Serve until interrupted (the `hajibot simulator` command); prints the URL."""

    async def main() -> None:
        runner = await serve(csv_path, host, port, key, **faults)
        store = runner.app[STORE]
        print(
            f"Siskohat simulator on {base_url(runner)} ({len(store)} porsi); Ctrl-C stops",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"simulator: {exc}", file=sys.stderr)
        return 1
    return 0


__all__ = [
    "FAULTS",
    "INSTANCE",
    "STATS",
    "STORE",
    "Faults",
    "RowStore",
    "base_url",
    "build_app",
    "data_fingerprint",
    "fake_account",
    "identify",
    "load_rows",
    "run",
    "serve",
]

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
import csv
import hashlib
import heapq
import io
import json
import os
import random
import secrets
import sys
import weakref
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

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

_DAY_S = 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_SORT_CHUNK = 1 << 19
EXPORT_TZ = timezone(timedelta(hours=7), "WIB")  # export days are Jakarta calendar days
_CSV_MEDIA = "text/csv"


# --------------------------------------------------------------------------------- loading


def _stamp(value: Any) -> int:
    """`updated_at` as whole seconds since the epoch (0 when blank or unreadable)."""
    try:
        dt = parse_datetime(value, "updated_at")
    except WireError:
        return 0
    return 0 if dt is None else (dt - _EPOCH) // _SECOND


def _sort_packed(keys: Iterable[int]) -> array:
    """Sort 63-bit ints into an `array` in chunks merged lazily: ~8 bytes per key at peak,
    instead of ~40 for a list of Python ints (5.5M rows: ~50 MB instead of ~250 MB)."""
    it = iter(keys)
    runs = []
    while block := sorted(islice(it, _SORT_CHUNK)):
        runs.append(array("q", block))
        del block
    if len(runs) <= 1:
        return runs[0] if runs else array("q")
    return array("q", heapq.merge(*runs))


def load_rows(csv_path: str | Path) -> dict[str, dict[str, str]]:
    """porsi -> export row (dict), keeping the most recent `updated_at` per porsi."""
    rows: dict[str, dict[str, str]] = {}
    stamps: dict[str, int] = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            try:
                porsi = parse_porsi(row.get("kd_porsi"))
            except WireError:
                continue
            ts = _stamp(row.get("updated_at"))
            if porsi not in rows or ts >= stamps[porsi]:
                row["kd_porsi"] = porsi
                rows[porsi] = row
                stamps[porsi] = ts
    return rows


class RowStore:
    """Rows by porsi (bisect over a sorted `array`) and in change order (for feed and export)."""

    def __init__(
        self,
        porsis: array,
        stamps: array,
        fetch: Callable[[int], dict[str, str]],
        raw_line: Callable[[int], bytes] | None = None,
    ) -> None:
        self._porsis = porsis  # sorted, unique
        self.full_file: Path | None = None  # set by from_csv when the file is the full mirror
        self._fetch = fetch  # index in porsi order -> row dict
        self._raw_line = raw_line  # index -> CSV line in export column order (file stores)
        # (stamp, index) packed into one int: ties in the same second keep porsi order
        shift = max(len(porsis).bit_length(), 1)
        mask = (1 << shift) - 1
        keys = _sort_packed((stamps[i] << shift) | i for i in range(len(porsis)))
        self._by_time = array("q", (k & mask for k in keys))
        self._times = array("q", (k >> shift for k in keys))  # seconds, ascending
        del keys

    @classmethod
    def from_rows(cls, rows: Mapping[str, Mapping[str, Any]]) -> RowStore:
        items = sorted(
            ((int(parse_porsi(p)), dict(r)) for p, r in rows.items()), key=lambda kv: kv[0]
        )
        porsis = array("q", (k for k, _ in items))
        data = [r for _, r in items]
        for key, row in zip(porsis, data, strict=True):
            row["kd_porsi"] = f"{key:010d}"
        stamps = array("q", (_stamp(r.get("updated_at")) for r in data))
        return cls(porsis, stamps, data.__getitem__)

    @classmethod
    def from_csv(cls, csv_path: str | Path) -> RowStore:
        """Index the file in one pass; rows are read back (`os.pread`) and parsed on demand."""
        skipped = 0
        with open(csv_path, "rb") as f:
            header_line = f.readline()
            header = next(csv.reader([header_line.decode("utf-8-sig")]), [])
            try:
                pi, ui = header.index("kd_porsi"), header.index("updated_at")
            except ValueError:
                raise ValueError(f"{csv_path}: not in the export format (header)") from None
            porsis, stamps, offsets = array("q"), array("q"), array("q")
            cache: dict[bytes, int] = {}
            offset = len(header_line)
            for line in f:
                start, offset = offset, offset + len(line)
                if b'"' in line:
                    fields = [x.encode() for x in next(csv.reader([line.decode("utf-8")]), [])]
                else:
                    fields = line.rstrip(b"\r\n").split(b",")
                if len(fields) <= max(pi, ui):
                    skipped += 1
                    continue
                raw_porsi = fields[pi]
                try:
                    if len(raw_porsi) == 10 and raw_porsi.isdigit():
                        porsi = int(raw_porsi)
                    else:
                        porsi = int(parse_porsi(raw_porsi.decode("utf-8", "replace")))
                except WireError:
                    skipped += 1
                    continue
                raw_ts = fields[ui]
                ts = cache.get(raw_ts)
                if ts is None:
                    ts = _stamp(raw_ts.decode("utf-8", "replace"))
                    if len(cache) < 200_000:
                        cache[raw_ts] = ts
                porsis.append(porsi)
                stamps.append(ts)
                offsets.append(start)
            del cache
        read = len(porsis)
        porsis, stamps, offsets = _latest_per_porsi(porsis, stamps, offsets)
        # pread, not mmap: random lookups would otherwise map much of the file into RSS
        fd = os.open(csv_path, os.O_RDONLY)

        def line_at(i: int) -> bytes:
            start, size = offsets[i], 1024
            while True:
                data = os.pread(fd, size, start)
                end = data.find(b"\n")
                if end >= 0:
                    return data[:end].rstrip(b"\r")
                if len(data) < size:  # last line without a newline
                    return data.rstrip(b"\r")
                size *= 4

        def fetch(i: int) -> dict[str, str]:
            values = next(csv.reader([line_at(i).decode("utf-8")]))
            row = dict(zip(header, values, strict=False))
            row["kd_porsi"] = f"{porsis[i]:010d}"
            return row

        exact = header_line.rstrip(b"\r\n") == ",".join(EXPORT_COLUMNS).encode()
        store = cls(porsis, stamps, fetch, line_at if exact else None)
        # the file itself is the full mirror when it is clean: export header, one row per porsi
        store.full_file = Path(csv_path) if exact and not skipped and read == len(porsis) else None
        weakref.finalize(store, os.close, fd)
        return store

    def __len__(self) -> int:
        return len(self._porsis)

    def get(self, porsi: str) -> dict[str, str] | None:
        key = int(porsi)
        i = bisect_left(self._porsis, key)
        if i < len(self._porsis) and self._porsis[i] == key:
            return self._fetch(i)
        return None

    @property
    def first_day(self) -> date | None:
        return _export_day(self._times[0]) if self._times else None

    @property
    def last_day(self) -> date | None:
        return _export_day(self._times[-1]) if self._times else None

    def changed_since(self, since: datetime, skip: int, limit: int) -> tuple[list[dict], bool]:
        """Up to `limit` rows changed at or after `since` (oldest first) and whether more exist.

        Resolution is one second: a row in the same second as `since` is always included.
        """
        start = bisect_left(self._times, _stamp(since)) + skip
        end = min(start + limit, len(self._times))
        rows = [self._fetch(self._by_time[j]) for j in range(start, end)]
        return rows, end < len(self._times)

    def day_indexes(self, day: date) -> Iterator[int]:
        """Indexes (porsi order) of rows changed on `day` (WIB), in change order."""
        lo = _stamp(datetime(day.year, day.month, day.day, tzinfo=EXPORT_TZ))
        a, b = bisect_left(self._times, lo), bisect_left(self._times, lo + _DAY_S)
        return (self._by_time[j] for j in range(a, b))

    def all_indexes(self) -> Iterator[int]:
        return iter(range(len(self._porsis)))

    def row(self, i: int) -> dict[str, str]:
        return self._fetch(i)

    def raw_line(self, i: int) -> bytes | None:
        return self._raw_line(i) if self._raw_line is not None else None


def _export_day(seconds: int) -> date:
    return (_EPOCH + seconds * _SECOND).astimezone(EXPORT_TZ).date()


def _latest_per_porsi(porsis: array, stamps: array, offsets: array):
    """Sort by porsi and keep, per porsi, the row with the largest stamp (tie: later line)."""
    n = len(porsis)
    if all(porsis[i] < porsis[i + 1] for i in range(n - 1)):
        return porsis, stamps, offsets  # already sorted, one row per porsi
    shift = max(n.bit_length(), 1)
    mask = (1 << shift) - 1
    keys = _sort_packed((porsis[i] << shift) | i for i in range(n))  # file order in a porsi
    p2, s2, o2 = array("q"), array("q"), array("q")
    for k in keys:
        i = k & mask
        if p2 and p2[-1] == porsis[i]:
            if stamps[i] >= s2[-1]:
                s2[-1], o2[-1] = stamps[i], offsets[i]
            continue
        p2.append(porsis[i])
        s2.append(stamps[i])
        o2.append(offsets[i])
    return p2, s2, o2


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
        try:
            await asyncio.wait_for(app[_CLOSING].wait(), faults.hang_s)
        except TimeoutError:
            pass
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
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as s:
            async with s.get(url.rstrip("/") + "/siskohat/_simulator",
                             headers={"x-key": key}) as resp:
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

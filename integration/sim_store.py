"""The simulator's data store: a CSV export indexed (or rows held) for lookup by porsi and
by change time. Split out of `integration.simulator`, which re-exports these names; see its
docstring for the rules (latest row per porsi, memory use).
"""

from __future__ import annotations

import csv
import heapq
import os
import weakref
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from integration.wire import (
    EXPORT_COLUMNS,
    WireError,
    parse_datetime,
    parse_porsi,
)

_DAY_S = 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_SORT_CHUNK = 1 << 19
EXPORT_TZ = timezone(timedelta(hours=7), "WIB")  # export days are Jakarta calendar days


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

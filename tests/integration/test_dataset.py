"""The synthetic national dataset: format, determinism, queues, estimates and the status mix."""

from __future__ import annotations

import csv
import math
import random
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from integration.dataset import DATA_DIR, DEFAULT_TODAY, load_areas, plan, write_dataset
from integration.wire import EXPORT_COLUMNS, record_from_wire
from knowledge.areas import parse_bengkulu_2022
from knowledge.estimate import current_season, estimate

MIX_ROWS = 150_000  # small, yet some areas' queues outgrow their real quota (reserves, waiting)

# Value sets from contracts/siskohat.md ('' = empty).
VALUE_SETS = {
    "jenis_kelamin": {"L", "P"},
    "status_nikah": {"KAWIN", "BELUM KAWIN", "CERAI HIDUP", "CERAI MATI"},
    "status_jemaah": {"AKTIF", "BATAL", "WAFAT", "SAKIT PERMANEN", "BERANGKAT", "DILIMPAHKAN"},
    "status_bayar": {"BELUM LUNAS", "LUNAS", "LUNAS TUNDA", "GAGAL BAYAR"},
    "status_pelunasan": {"BELUM LUNAS", "LUNAS", "LUNAS TUNDA", "GAGAL BAYAR"},
    "tahap_pelunasan": {"TAHAP I", "TAHAP II", ""},
    "status_istithaah": {
        "ISTITHAAH",
        "ISTITHAAH DENGAN PENDAMPINGAN",
        "TIDAK ISTITHAAH SEMENTARA",
        "TIDAK ISTITHAAH",
        "BELUM DIPERIKSA",
    },
    "status_cadangan": {"Y", "N", ""},
    "pernah_haji": {"Y", "N"},
    "asal_pelimpahan": {"Y", "N"},
    "vaksin_meningitis": {"Y", "N", ""},
    "laik_terbang": {"Y", "N", ""},
    "kategori_prioritas": {"LANSIA", "PENDAMPING LANSIA", "PENGGABUNGAN", "CADANGAN", ""},
}


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [dict(zip(header, line, strict=True)) for line in reader]


@pytest.fixture(scope="module")
def mix(tmp_path_factory) -> list[dict[str, str]]:
    path = tmp_path_factory.mktemp("dataset") / "mix.csv"
    assert write_dataset(path, MIX_ROWS, 11) == MIX_ROWS
    header, rows = _read(path)
    assert header == list(EXPORT_COLUMNS)
    return rows


def _area_key(row: dict[str, str], split_provinces: set[str]) -> str:
    return row["kd_kab"] if row["kd_prop"] in split_provinces else row["kd_prop"]


def _age_days(row: dict[str, str]) -> int:
    return (DEFAULT_TODAY - date.fromisoformat(row["tgl_lahir"])).days


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert write_dataset(a, 3000, 42) == 3000
    write_dataset(b, 3000, 42)
    write_dataset(c, 3000, 43)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_header_columns_and_row_count(tmp_path):
    path = tmp_path / "x.csv"
    assert write_dataset(path, 3000, 1) == 3000
    header, rows = _read(path)
    assert ",".join(header) == ",".join(EXPORT_COLUMNS) and len(header) == 37
    assert len(rows) == 3000
    assert not list(tmp_path.glob("*.part"))  # written atomically


def test_every_row_parses_as_a_record(mix):
    for row in random.Random(0).sample(mix, 2000):
        record = record_from_wire(row)
        assert record.porsi == row["kd_porsi"]


def test_porsi_unique_ten_digits(mix):
    porsi = [r["kd_porsi"] for r in mix]
    assert len(set(porsi)) == len(porsi)
    assert all(len(p) == 10 and p.isdigit() for p in porsi)


def test_positions_are_one_queue_per_quota_area(mix):
    split = {a.kd_prop for a in load_areas() if a.split}
    queues: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for row in mix:
        queues[_area_key(row, split)].append(
            (int(row["posisiporsi"]), row["tgl_daftar"], row["kuotapropinsi"])
        )
    expected = {(p.area.code if p.area.split else p.area.kd_prop): p for p in plan(MIX_ROWS)}
    assert set(queues) == {k for k, p in expected.items() if p.rows}
    for key, queue in queues.items():
        positions = sorted(pos for pos, _, _ in queue)
        assert positions == list(range(1, len(queue) + 1)), key
        assert len(queue) == expected[key].rows
        assert {q for _, _, q in queue} == {str(expected[key].area.kuota)}  # real quota
        dates = [d for _, d, _ in sorted(queue)]
        assert dates == sorted(dates), f"tgl_daftar not in queue order in {key}"


def test_estimates_follow_knowledge_estimate(mix):
    sample = random.Random(1).sample(mix, 3000)
    # plus every season boundary: the last of a season and the first of the next
    sample += [r for r in mix if int(r["posisiporsi"]) % int(r["kuotapropinsi"]) in (0, 1)]
    for row in sample:
        est = estimate(int(row["posisiporsi"]), int(row["kuotapropinsi"]), DEFAULT_TODAY)
        assert row["berangkathijriah"] == str(est.season_hijri)
        assert row["berangkatmasehi"] == str(est.year_masehi)


def test_status_mix_covers_every_value_set_member(mix):
    for column, values in VALUE_SETS.items():
        seen = Counter(r[column] for r in mix)
        assert set(seen) == values, column
    status = Counter(r["status_jemaah"] for r in mix)
    assert status["AKTIF"] / len(mix) > 0.95
    assert 0.003 < status["WAFAT"] / len(mix) < 0.008
    assert 0.001 < status["SAKIT PERMANEN"] / len(mix) < 0.004
    assert Counter(r["no_hp"] == "" for r in mix)[True] > 0


def test_allocation_rows_carry_payoff_fields_others_do_not(mix):
    season = str(current_season(DEFAULT_TODAY))
    for row in mix:
        pos, quota = int(row["posisiporsi"]), int(row["kuotapropinsi"])
        allocated = pos <= quota + math.ceil(quota * 0.05)
        assert (row["tahun_pelunasan"] == season) == allocated
        assert (row["status_cadangan"] == "Y") == (allocated and pos > quota)
        if not allocated:
            assert row["status_istithaah"] == "BELUM DIPERIKSA" and row["tgl_istithaah"] == ""
            assert row["biaya_bipih"] == row["jumlah_pelunasan"] == ""
            assert row["status_bayar"] == "BELUM LUNAS"
            continue
        assert row["tahap_pelunasan"] in {"TAHAP I", "TAHAP II"}
        assert (row["tgl_istithaah"] == "") == (row["status_istithaah"] == "BELUM DIPERIKSA")
        bipih, awal, manfaat = (
            int(row[c]) for c in ("biaya_bipih", "setoran_awal", "nilai_manfaat")
        )
        assert awal == 25_000_000
        assert int(row["jumlah_pelunasan"]) == bipih - awal - manfaat
        if row["status_bayar"] in ("LUNAS", "GAGAL BAYAR"):
            assert row["status_istithaah"] in ("ISTITHAAH", "ISTITHAAH DENGAN PENDAMPINGAN")
        if row["kategori_prioritas"] or row["pernah_haji"] == "Y":
            assert row["tahap_pelunasan"] == "TAHAP II"
        assert row["status_pelunasan"] == row["status_bayar"]


def test_people_are_consistent(mix):
    minors = [r for r in mix if _age_days(r) < 18 * 365]
    assert minors and all(r["status_nikah"] == "BELUM KAWIN" for r in minors)
    assert all(_age_days(r) >= 12 * 365 for r in mix)
    assert all(_age_days(r) >= 65 * 365 for r in mix if r["kategori_prioritas"] == "LANSIA")
    for row in mix:
        if row["pernah_haji"] == "Y":
            assert row["tahun_haji_terakhir"].isdigit()
        else:
            assert row["tahun_haji_terakhir"] == ""
        assert row["no_hp"] == "" or (row["no_hp"].startswith("628") and row["no_hp"].isdigit())
        assert row["updated_at"] < DEFAULT_TODAY.isoformat() and "T" in row["updated_at"]


def test_porsi_terkait_links_are_symmetric_and_same_person(mix):
    by_porsi = {r["kd_porsi"]: r for r in mix}
    linked = [r for r in mix if r["porsi_terkait"]]
    assert len(linked) > 100
    for row in linked:
        other = by_porsi[row["porsi_terkait"]]
        assert other["porsi_terkait"] == row["kd_porsi"]
        for column in ("nama", "tgl_lahir", "jenis_kelamin", "no_hp", "kd_kab"):
            assert other[column] == row[column]


def test_bengkulu_follows_the_2022_waiting_list(mix):
    text = (DATA_DIR / "bengkulu_2022.md").read_text(encoding="utf-8")
    expected = parse_bengkulu_2022(text)
    total = sum(expected.values())
    counts = Counter(r["kd_kab"] for r in mix if r["kd_prop"] == "17")
    assert set(counts) == set(expected)
    n = sum(counts.values())
    for code, waiting in expected.items():
        assert abs(counts[code] / n - waiting / total) < 0.005, code


def test_national_scale_waits_look_real():
    plans = plan(5_500_000)
    waits = {p.area.code: math.ceil(p.rows / p.area.kuota) for p in plans}
    assert sum(p.rows for p in plans) == 5_500_000
    assert 8 <= min(waits.values()) <= 15
    assert 45 <= max(waits.values()) <= 65
    assert waits["7313"] > waits["3273"]  # Kab. Wajo waits longer than Kota Bandung (2014 table)

"""The simulator's demo data: showcase records present, deterministic, fast, written once."""

from __future__ import annotations

import csv
import time
from collections import Counter
from datetime import date

import integration.demo as demo
from integration.dataset import load_areas
from integration.demo import DEMO_PORSI, demo_csv, showcase_rows, showcase_table
from integration.wire import EXPORT_COLUMNS, record_from_wire
from knowledge.estimate import estimate
from knowledge.values import PilgrimStatus

LABELS = {
    "tahap1", "tahap2_lansia", "lunas", "waiting", "wafat", "sakit_permanen", "belum_diperiksa",
    "tidak_istithaah", "tidak_istithaah_sementara", "pendampingan", "unvaccinated",
    "unfit_to_fly", "two_porsi_a", "two_porsi_b", "lunas_tunda", "gagal_bayar", "cadangan",
    "minor", "transferred", "batal", "berangkat", "unknown_status", "no_phone",
}  # fmt: skip


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_default_path_under_cwd_fast_and_written_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    started = time.perf_counter()
    path = demo_csv()
    assert time.perf_counter() - started < 3
    assert path == demo.DEMO_PATH and (tmp_path / "var/demo/siskohat_demo.csv").is_file()
    stamp = path.stat().st_mtime_ns
    assert demo_csv() == path and path.stat().st_mtime_ns == stamp


def test_deterministic(tmp_path):
    a, b = demo_csv(tmp_path / "a.csv"), demo_csv(tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()


def test_every_showcase_record_in_the_file(tmp_path):
    rows = _rows(demo_csv(tmp_path / "d.csv"))
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    porsi = Counter(r["kd_porsi"] for r in rows)
    assert all(count == 1 for count in porsi.values())
    assert set(DEMO_PORSI) == LABELS
    assert set(DEMO_PORSI.values()) <= set(porsi)
    assert len(rows) == demo.DEMO_ROWS + len(DEMO_PORSI)
    split = {a.kd_prop for a in load_areas() if a.split}
    positions = Counter(
        (r["kd_kab"] if r["kd_prop"] in split else r["kd_prop"], r["posisiporsi"]) for r in rows
    )
    assert max(positions.values()) == 1  # showcase positions never collide with the queue


def test_showcase_records_say_what_their_label_says():
    by = {label: row for label, row in zip(DEMO_PORSI, showcase_rows(), strict=True)}
    rec = {label: record_from_wire(row) for label, row in by.items()}
    assert rec["tahap1"].payoff.tahap.value == "TAHAP I"
    assert by["tahap2_lansia"]["kategori_prioritas"] == "LANSIA"
    assert by["lunas"]["status_pelunasan"] == "LUNAS"
    assert by["waiting"]["tahun_pelunasan"] == ""
    assert int(by["waiting"]["berangkathijriah"]) - 1448 >= 25
    assert rec["wafat"].identity.status is PilgrimStatus.WAFAT
    assert rec["sakit_permanen"].identity.status is PilgrimStatus.SAKIT_PERMANEN
    assert rec["unknown_status"].identity.status is PilgrimStatus.UNKNOWN
    assert by["belum_diperiksa"]["status_istithaah"] == "BELUM DIPERIKSA"
    assert by["tidak_istithaah"]["status_istithaah"] == "TIDAK ISTITHAAH"
    assert by["tidak_istithaah_sementara"]["status_istithaah"] == "TIDAK ISTITHAAH SEMENTARA"
    assert by["pendampingan"]["status_istithaah"] == "ISTITHAAH DENGAN PENDAMPINGAN"
    assert by["unvaccinated"]["vaksin_meningitis"] == "N"
    assert by["unfit_to_fly"]["laik_terbang"] == "N"
    a, b = by["two_porsi_a"], by["two_porsi_b"]
    assert (a["porsi_terkait"], b["porsi_terkait"]) == (b["kd_porsi"], a["kd_porsi"])
    assert (a["nama"], a["tgl_lahir"]) == (b["nama"], b["tgl_lahir"])
    assert by["lunas_tunda"]["status_bayar"] == "LUNAS TUNDA"
    assert by["gagal_bayar"]["status_bayar"] == "GAGAL BAYAR"
    assert by["cadangan"]["status_cadangan"] == "Y"
    minor = by["minor"]
    assert minor["status_nikah"] == "BELUM KAWIN"
    assert (date(2026, 11, 20) - date.fromisoformat(minor["tgl_lahir"])).days < 18 * 365
    # consistent: in this season's allocation (a tahap) and estimated to depart this season,
    # so what stops the payoff is the age rule, not the allocation
    assert minor["tahap_pelunasan"] == "TAHAP I" and minor["tahun_pelunasan"] == "1448"
    assert minor["berangkathijriah"] == "1448"
    assert by["transferred"]["asal_pelimpahan"] == "Y"
    assert by["batal"]["status_jemaah"] == "BATAL"
    assert by["berangkat"]["status_jemaah"] == "BERANGKAT"
    assert by["no_phone"]["no_hp"] == ""
    for row in by.values():
        est = estimate(int(row["posisiporsi"]), int(row["kuotapropinsi"]), date(2026, 11, 20))
        assert row["berangkathijriah"] == str(est.season_hijri)
        if row["tahun_pelunasan"]:
            total = int(row["biaya_bipih"]) - 25_000_000 - int(row["nilai_manfaat"])
            assert int(row["jumlah_pelunasan"]) == total


def test_showcase_table_and_docstring_list_every_porsi():
    table = showcase_table()
    for label, porsi in DEMO_PORSI.items():
        assert porsi in table and label in table
        assert f"| {label} | {porsi} |" in demo.__doc__


def test_rewritten_when_the_version_stamp_differs(tmp_path):
    path = demo_csv(tmp_path / "d.csv")
    path.write_text("stale\n", encoding="utf-8")
    assert demo_csv(path).read_text(encoding="utf-8") == "stale\n"  # same version: kept
    path.with_name(path.name + ".version").write_text("0:0\n", encoding="utf-8")
    assert demo_csv(path).read_text(encoding="utf-8").startswith("kd_porsi,")

"""The simulator's demo data: 20,000 generated rows plus hand-made showcase records.

`demo_csv()` returns `var/demo/siskohat_demo.csv` (under the current directory), writing it on
first use or when the generator or the showcase changed (a `.version` file sits beside it):
`write_dataset`'s rows for seed 1448 followed by the showcase records below, all in the export
format. `DEMO_PORSI` maps a label to each showcase porsi; `showcase_table()` prints them
with the phone number and birth date that the verification flow asks for. Every person here is
made up.

Showcase records keep their fixed porsi numbers and sit in real quota areas at positions beyond
the generated queue (a hand-made position may leave a gap in a demo queue; the generated part of
the file has none). Their estimates are computed with `knowledge.estimate` for 20 Nov 2026.

| label | porsi | what it shows | phone | birth date |
| --- | --- | --- | --- | --- |
| tahap1 | 3509412276 | may pay off in tahap I | 6281234500101 | 1978-03-14 |
| tahap2_lansia | 3309381154 | lansia, may pay off in tahap II | 6285712300202 | 1953-08-02 |
| lunas | 3209377610 | already paid off (LUNAS) | 6281322100303 | 1969-12-21 |
| waiting | 3509520419 | not in the allocation yet, long wait | 6289677700404 | 1990-06-09 |
| wafat | 1709204451 | died: porsi can pass by pelimpahan | 6282177300505 | 1958-01-30 |
| sakit_permanen | 7309311872 | permanently ill: pelimpahan | 6285299400606 | 1961-04-17 |
| belum_diperiksa | 3109365508 | in the allocation, istithaah not yet examined | 6281188800707 | 1975-10-05 |
| tidak_istithaah | 3609342217 | TIDAK ISTITHAAH: cannot pay off | 6287788100808 | 1949-05-23 |
| tidak_istithaah_sementara | 3509433390 | TIDAK ISTITHAAH SEMENTARA | 6281333200909 | 1966-09-11 |
| pendampingan | 3409318805 | ISTITHAAH DENGAN PENDAMPINGAN | 6281227701010 | 1957-02-27 |
| unvaccinated | 1309290144 | paid off, no meningitis vaccination | 6281266601111 | 1971-07-19 |
| unfit_to_fly | 1209301786 | paid off, tidak laik terbang | 6281361201212 | 1963-11-08 |
| two_porsi_a | 3209402233 | one person, two porsi (in the allocation) | 6281910101313 | 1972-01-25 |
| two_porsi_b | 3209798741 | the same person's second porsi | 6281910101313 | 1972-01-25 |
| lunas_tunda | 5209277045 | LUNAS TUNDA (paid off earlier, postponed) | 6281907701414 | 1968-04-12 |
| gagal_bayar | 6309283390 | GAGAL BAYAR in tahap I, tahap II now | 6281351501515 | 1974-08-30 |
| cadangan | 1809296612 | jemaah cadangan (reserve) | 6282178001616 | 1980-12-03 |
| minor | 1709219930 | 16, unmarried, porsi received by pelimpahan, in this season's allocation (blocked by age) | 6282280001717 | 2010-05-21 |
| transferred | 1709212268 | adult heir holding a transferred porsi | 6285267001818 | 1988-10-14 |
| batal | 1409287751 | registration cancelled (BATAL) | 6281276001919 | 1970-03-06 |
| berangkat | 7509266010 | already departed (BERANGKAT) | 6282190002020 | 1960-06-15 |
| unknown_status | 1509270088 | status_jemaah PINDAH DOMISILI (unknown value) | 6281366002121 | 1976-11-26 |
| no_phone | 1109264457 | no phone number on record | (none) | 1965-02-14 |
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from integration.dataset import (
    BIPIH_OF_EMBARKASI,
    DATASET_VERSION,
    EMBARKASI_OF_PROVINCE,
    HEADER,
    write_dataset,
)
from integration.wire import EXPORT_COLUMNS
from knowledge.areas import PROVINCES
from knowledge.estimate import estimate

DEMO_PATH = Path("var/demo/siskohat_demo.csv")
DEMO_ROWS = 20_000
DEMO_SEED = 1448
DEMO_TODAY = date(2026, 11, 20)
DEMO_VERSION = 2  # bump when the showcase records change: an older demo file is rewritten
_UPDATED = "2026-11-19T10:15:00+07:00"
_SEASON = "1448"

# Quota area (BPS code) -> quota, as in the 2014 table.
_QUOTA = {
    "3500": 33935, "3300": 29435, "3273": 2121, "1771": 305, "7311": 745, "3100": 7034,
    "3600": 8484, "3400": 3068, "1300": 4457, "1200": 8180, "3201": 3553, "5200": 4464,
    "6300": 3778, "1800": 6240, "1702": 230, "1400": 5010, "7500": 883, "1500": 2613,
    "1100": 3888,
}  # fmt: skip

_ALLOC = {  # a pilgrim in this season's allocation who may pay off
    "tahun_pelunasan": _SEASON, "tahap_pelunasan": "TAHAP I", "status_cadangan": "N",
    "status_bayar": "BELUM LUNAS", "status_istithaah": "ISTITHAAH",
    "tgl_istithaah": "2026-10-21", "vaksin_meningitis": "Y", "laik_terbang": "Y",
    "nilai_manfaat": "6912450",
}  # fmt: skip
_PAID = {**_ALLOC, "status_bayar": "LUNAS"}


def _s(label, porsi, area, kab, pos, name, sex, birth, phone, **fields):
    return (label, porsi, area, kab, pos, name, sex, birth, phone, fields)


# label, porsi, quota area, (kd_kab, kabupaten), position, name, gender, birth date, phone, extra.
_SHOWCASE = (
    _s("tahap1", "3509412276", "3500", ("3515", "Kab. Sidoarjo"), 18_422,
       "AHMAD FAUZI SANTOSO", "L", "1978-03-14", "6281234500101", tgl_daftar="2012-02-07",
       **_ALLOC),
    _s("tahap2_lansia", "3309381154", "3300", ("3310", "Kab. Klaten"), 11_305,
       "SITI AMINAH RAHAYU", "P", "1953-08-02", "6285712300202", tgl_daftar="2011-06-20",
       **{**_ALLOC, "tahap_pelunasan": "TAHAP II"}, kategori_prioritas="LANSIA"),
    _s("lunas", "3209377610", "3273", ("3273", "Kota Bandung"), 1_208,
       "HASAN BASRI HIDAYAT", "L", "1969-12-21", "6281322100303", tgl_daftar="2012-09-03",
       **_PAID),
    _s("waiting", "3509520419", "3500", ("3524", "Kab. Lamongan"), 1_052_318,
       "DEWI LESTARI WULANDARI", "P", "1990-06-09", "6289677700404", tgl_daftar="2024-08-15"),
    _s("wafat", "1709204451", "1771", ("1771", "Kota Bengkulu"), 4_512,
       "SYAMSUL BAHRI", "L", "1958-01-30", "6282177300505", tgl_daftar="2017-03-22",
       status_jemaah="WAFAT"),
    _s("sakit_permanen", "7309311872", "7311", ("7311", "Kab. Bone"), 19_760,
       "HALIMAH SALEH", "P", "1961-04-17", "6285299400606", tgl_daftar="2015-11-02",
       status_jemaah="SAKIT PERMANEN"),
    _s("belum_diperiksa", "3109365508", "3100", ("3171", "Kota Jakarta Selatan"), 5_033,
       "RIDWAN KURNIAWAN", "L", "1975-10-05", "6281188800707", tgl_daftar="2013-01-14",
       **{**_ALLOC, "status_istithaah": "BELUM DIPERIKSA", "tgl_istithaah": "",
          "vaksin_meningitis": "", "laik_terbang": ""}),
    _s("tidak_istithaah", "3609342217", "3600", ("3604", "Kab. Serang"), 6_118,
       "SUMARNI", "P", "1949-05-23", "6287788100808", tgl_daftar="2012-04-30",
       **{**_ALLOC, "status_istithaah": "TIDAK ISTITHAAH", "tahap_pelunasan": "TAHAP II",
          "vaksin_meningitis": "N"}, kategori_prioritas="LANSIA"),
    _s("tidak_istithaah_sementara", "3509433390", "3500", ("3573", "Kota Malang"), 24_871,
       "BAMBANG SUTRISNO", "L", "1966-09-11", "6281333200909", tgl_daftar="2012-05-08",
       **{**_ALLOC, "status_istithaah": "TIDAK ISTITHAAH SEMENTARA"}),
    _s("pendampingan", "3409318805", "3400", ("3404", "Kab. Sleman"), 2_240,
       "SRI SULASTRI", "P", "1957-02-27", "6281227701010", tgl_daftar="2011-10-10",
       **{**_ALLOC, "status_istithaah": "ISTITHAAH DENGAN PENDAMPINGAN"}),
    _s("unvaccinated", "1309290144", "1300", ("1371", "Kota Padang"), 3_015,
       "ZAINAL ARIFIN", "L", "1971-07-19", "6281266601111", tgl_daftar="2012-07-16",
       **{**_PAID, "vaksin_meningitis": "N"}),
    _s("unfit_to_fly", "1209301786", "1200", ("1275", "Kota Medan"), 6_402,
       "MASITAH NASUTION", "P", "1963-11-08", "6281361201212", tgl_daftar="2012-03-19",
       **{**_PAID, "laik_terbang": "N"}),
    _s("two_porsi_a", "3209402233", "3201", ("3201", "Kab. Bogor"), 2_904,
       "IMAM MAULANA", "L", "1972-01-25", "6281910101313", tgl_daftar="2012-11-26",
       porsi_terkait="3209798741", **_ALLOC),
    _s("two_porsi_b", "3209798741", "3201", ("3201", "Kab. Bogor"), 31_877,
       "IMAM MAULANA", "L", "1972-01-25", "6281910101313", tgl_daftar="2019-05-06",
       porsi_terkait="3209402233"),
    _s("lunas_tunda", "5209277045", "5200", ("5271", "Kota Mataram"), 988,
       "NURHAYATI", "P", "1968-04-12", "6281907701414", tgl_daftar="2010-12-01",
       **{**_PAID, "status_bayar": "LUNAS TUNDA"}),
    _s("gagal_bayar", "6309283390", "6300", ("6371", "Kota Banjarmasin"), 2_655,
       "MUHAMMAD RIDWAN HAKIM", "L", "1974-08-30", "6281351501515", tgl_daftar="2011-02-14",
       **{**_ALLOC, "status_bayar": "GAGAL BAYAR", "tahap_pelunasan": "TAHAP II"}),
    _s("cadangan", "1809296612", "1800", ("1871", "Kota Bandar Lampung"), 6_252,
       "RINA ANGGRAINI", "P", "1980-12-03", "6282178001616", tgl_daftar="2011-09-05",
       **{**_ALLOC, "status_cadangan": "Y", "tahap_pelunasan": "TAHAP II"},
       kategori_prioritas="CADANGAN"),
    _s("minor", "1709219930", "1702", ("1702", "Kab. Rejang Lebong"), 221,
       "AISYAH PUTRI RAHMAWATI", "P", "2010-05-21", "6282280001717", tgl_daftar="2013-08-12",
       **_ALLOC, asal_pelimpahan="Y", status_nikah="BELUM KAWIN"),
    _s("transferred", "1709212268", "1702", ("1702", "Kab. Rejang Lebong"), 198,
       "YUSUF IBRAHIM", "L", "1988-10-14", "6285267001818", tgl_daftar="2013-06-03",
       asal_pelimpahan="Y", **_ALLOC),
    _s("batal", "1409287751", "1400", ("1471", "Kota Pekanbaru"), 9_870,
       "ENDANG SUSILOWATI", "P", "1970-03-06", "6281276001919", tgl_daftar="2014-01-20",
       status_jemaah="BATAL"),
    _s("berangkat", "7509266010", "7500", ("7571", "Kota Gorontalo"), 412,
       "HAMZAH MUNAWAR", "L", "1960-06-15", "6282190002020", tgl_daftar="2010-05-24",
       status_jemaah="BERANGKAT", **_PAID),
    _s("unknown_status", "1509270088", "1500", ("1571", "Kota Jambi"), 8_115,
       "FATIMAH ZAHRA", "P", "1976-11-26", "6281366002121", tgl_daftar="2016-10-03",
       status_jemaah="PINDAH DOMISILI"),
    _s("no_phone", "1109264457", "1100", ("1171", "Kota Banda Aceh"), 2_977,
       "TAUFIK HAMID", "L", "1965-02-14", "", tgl_daftar="2011-12-12", **_ALLOC),
)  # fmt: skip

DEMO_PORSI: dict[str, str] = {item[0]: item[1] for item in _SHOWCASE}


def showcase_rows() -> list[dict[str, str]]:
    """The showcase records as export rows (every column, '' for no value)."""
    rows = []
    for label, porsi, area, (kd_kab, kab), pos, name, sex, birth, phone, extra in _SHOWCASE:
        prov = area[:2]
        quota = _QUOTA[area]
        est = estimate(pos, quota, DEMO_TODAY)
        embarkasi = EMBARKASI_OF_PROVINCE[prov]
        row = dict.fromkeys(EXPORT_COLUMNS, "")
        row.update(
            kd_porsi=porsi, nama=name, jenis_kelamin=sex, tgl_lahir=birth,
            status_nikah="KAWIN", no_hp=phone, kd_prop=prov, propinsi=PROVINCES[prov],
            kd_kab=kd_kab, kabupaten=kab, bank="BANK SYARIAH INDONESIA", status_jemaah="AKTIF",
            posisiporsi=str(pos), kuotapropinsi=str(quota), berangkatmasehi=str(est.year_masehi),
            berangkathijriah=str(est.season_hijri), status_bayar="BELUM LUNAS",
            status_istithaah="BELUM DIPERIKSA", pernah_haji="N", asal_pelimpahan="N",
            embarkasi=embarkasi, setoran_awal="25000000", updated_at=_UPDATED,
        )  # fmt: skip
        row.update(extra)
        row["status_pelunasan"] = row["status_bayar"]
        if row["tahun_pelunasan"]:
            bipih = BIPIH_OF_EMBARKASI[embarkasi]
            manfaat = int(row["nilai_manfaat"])
            row["biaya_bipih"] = str(bipih)
            row["jumlah_pelunasan"] = str(bipih - 25_000_000 - manfaat)
        if not label or set(row) != set(EXPORT_COLUMNS):
            raise RuntimeError(f"demo row {label!r} does not match the export columns")
        rows.append(row)
    return rows


def demo_csv(path: Path | None = None) -> Path:
    """The demo export, written on first use (deterministic: same bytes on every machine)."""
    path = Path(path) if path is not None else DEMO_PATH
    stamp = path.with_name(path.name + ".version")
    version = f"{DATASET_VERSION}:{DEMO_VERSION}\n"
    if path.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == version:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    write_dataset(tmp, DEMO_ROWS, DEMO_SEED, today=DEMO_TODAY)
    with open(tmp, "a", encoding="utf-8", newline="") as fh:
        for row in showcase_rows():
            fh.write(",".join(row[c] for c in EXPORT_COLUMNS) + "\n")
    os.replace(tmp, path)
    stamp.write_text(version, encoding="utf-8")
    return path


def showcase_table() -> str:
    """A plain-text table of the showcase records: label, porsi, phone, birth date, case."""
    lines = [f"{'label':<26} {'porsi':<11} {'phone':<14} {'birth':<10}  area"]
    for row, label in zip(showcase_rows(), DEMO_PORSI, strict=True):
        lines.append(
            f"{label:<26} {row['kd_porsi']:<11} {row['no_hp'] or '-':<14} {row['tgl_lahir']:<10}"
            f"  {row['kabupaten']}, {row['propinsi']}"
        )
    return "\n".join(lines)


if HEADER.split(",") != list(EXPORT_COLUMNS):  # the contract's header, column for column
    raise RuntimeError("demo HEADER differs from EXPORT_COLUMNS")

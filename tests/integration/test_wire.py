"""Wire schema: envelope, lenient scalars, messy rows -> PilgrimRecord and back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from integration.wire import (
    CANCEL_ACCOUNT,
    CANCEL_BANK,
    EXPORT_COLUMNS,
    ROW_COLUMNS,
    WireError,
    blank,
    merge_read_calls,
    parse_date,
    parse_datetime,
    parse_envelope,
    parse_int,
    parse_porsi,
    record_from_wire,
    row_from_record,
)
from knowledge.values import (
    Gender,
    Istithaah,
    MaritalStatus,
    PaymentStatus,
    PilgrimStatus,
    Priority,
)
from tests.integration._simdata import write_csv

# ------------------------------------------------------------------------------ envelope


def test_export_columns_follow_the_contract_order():
    contract = (
        "kd_porsi,nama,jenis_kelamin,tgl_lahir,status_nikah,no_hp,kd_prop,propinsi,kd_kab,"
        "kabupaten,tgl_daftar,bank,status_jemaah,posisiporsi,kuotapropinsi,berangkatmasehi,"
        "berangkathijriah,status_bayar,tahun_pelunasan,tahap_pelunasan,status_cadangan,"
        "status_pelunasan,status_istithaah,tgl_istithaah,vaksin_meningitis,laik_terbang,"
        "pernah_haji,tahun_haji_terakhir,asal_pelimpahan,porsi_terkait,kategori_prioritas,"
        "embarkasi,biaya_bipih,setoran_awal,nilai_manfaat,jumlah_pelunasan,updated_at"
    )
    assert tuple(contract.split(",")) == EXPORT_COLUMNS
    assert len(EXPORT_COLUMNS) == 37


@pytest.mark.parametrize("message_key", ["ResposeMessage", "ResponseMessage"])
def test_envelope_accepts_both_message_spellings(message_key):
    env = parse_envelope({"ResponseCode": "00", message_key: "Sukses", "Data": [{"a": 1}]})
    assert env.code == "00" and env.message == "Sukses" and env.data == [{"a": 1}]
    assert env.found and env.next_page is None


def test_envelope_not_found_and_next_page():
    env = parse_envelope({"ResponseCode": "01", "Data": [], "HalamanBerikutnya": "3"})
    assert env.not_found and env.data == [] and env.next_page == 3
    assert parse_envelope({"ResponseCode": 0, "Data": None}).code == "0"
    assert (
        parse_envelope({"ResponseCode": "00", "Data": [], "HalamanBerikutnya": None}).next_page
        is None
    )


@pytest.mark.parametrize(
    "payload, field",
    [
        ([], "envelope"),
        ("<html>", "envelope"),
        ({"Data": []}, "ResponseCode"),
        ({"ResponseCode": "  ", "Data": []}, "ResponseCode"),
        ({"ResponseCode": "00", "Data": {"kd_porsi": "1"}}, "Data"),
        ({"ResponseCode": "00", "Data": ["x"]}, "Data"),
    ],
)
def test_envelope_rejects_garbage(payload, field):
    with pytest.raises(WireError) as err:
        parse_envelope(payload)
    assert err.value.field == field


# ------------------------------------------------------------------------------- scalars


@pytest.mark.parametrize("v", [None, "", "   ", "\t\n"])
def test_blank_values_are_none(v):
    assert blank(v) is None


def test_blank_keeps_text_stripped():
    assert blank("  BENGKULU ") == "BENGKULU"
    assert blank(17) == "17"


@pytest.mark.parametrize(
    "v, expected",
    [("12345", 12345), (" 12345 ", 12345), ("12.345", 12345), ("1.234.567", 1234567),
     (12345, 12345), (12345.0, 12345), ("", None), (None, None), ("  ", None), ("0", 0)],
)  # fmt: skip
def test_parse_int_is_lenient(v, expected):
    assert parse_int(v, "posisiporsi") == expected


@pytest.mark.parametrize("v", ["12a", "1,5", "12.34", "-", "satu", 1.5, True])
def test_parse_int_rejects_garbage_naming_the_field(v):
    with pytest.raises(WireError) as err:
        parse_int(v, "posisiporsi")
    assert err.value.field == "posisiporsi" and err.value.value == v
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize(
    "v", ["2024-03-02", "02-03-2024", " 2024-03-02 ", "02/03/2024", "2024-03-02T10:00:00"]
)
def test_parse_date_both_formats(v):
    assert parse_date(v, "tgl_lahir") == date(2024, 3, 2)


@pytest.mark.parametrize("v", ["2023-02-29", "31-04-2024", "2024-13-01", "00-01-2024"])
def test_impossible_date_raises_naming_the_field(v):
    with pytest.raises(WireError) as err:
        parse_date(v, "tgl_lahir")
    assert err.value.field == "tgl_lahir"
    assert "tgl_lahir" in str(err.value)


@pytest.mark.parametrize("v", ["kemarin", "2024/3/2x", "20240302"])
def test_non_date_raises(v):
    with pytest.raises(WireError):
        parse_date(v, "tgl_daftar")


def test_parse_date_blank():
    assert parse_date("", "tgl_lahir") is None and parse_date(None) is None


@pytest.mark.parametrize(
    "v, expected",
    [
        ("2024-03-02T09:30:00+07:00", datetime(2024, 3, 2, 2, 30, tzinfo=UTC)),
        ("2024-03-02T09:30:00Z", datetime(2024, 3, 2, 9, 30, tzinfo=UTC)),
        ("2024-03-02T09:30:00", datetime(2024, 3, 2, 9, 30, tzinfo=UTC)),
        ("2024-03-02 09:30:00.123456", datetime(2024, 3, 2, 9, 30, 0, 123456, tzinfo=UTC)),
        ("2024-03-02", datetime(2024, 3, 2, tzinfo=UTC)),
        ("02-03-2024", datetime(2024, 3, 2, tzinfo=UTC)),
    ],
)
def test_parse_datetime_returns_aware_utc(v, expected):
    got = parse_datetime(v, "updated_at")
    assert got == expected and got.utcoffset() == timedelta(0)


def test_parse_datetime_converts_aware_datetimes():
    wib = timezone(timedelta(hours=7))
    assert parse_datetime(datetime(2024, 1, 1, 7, tzinfo=wib)) == datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_datetime("") is None


@pytest.mark.parametrize("v", ["yesterday", "2024-02-30T10:00:00", "31-02-2024"])
def test_parse_datetime_rejects_garbage(v):
    with pytest.raises(WireError) as err:
        parse_datetime(v, "updated_at")
    assert err.value.field == "updated_at"


@pytest.mark.parametrize(
    "v", ["1300477219", " 1300477219 ", "13-0047-7219", "13.0047.7219", "130 047 7219", 1300477219]
)
def test_parse_porsi_strips_separators(v):
    assert parse_porsi(v) == "1300477219"


@pytest.mark.parametrize("v", ["", None, "130047721", "13004772190", "13004772a9", "١٣٠٠٤٧٧٢١٩"])
def test_parse_porsi_rejects(v):
    with pytest.raises(WireError) as err:
        parse_porsi(v)
    assert err.value.field == "kd_porsi"


# ------------------------------------------------------------------------- row -> record

MESSY_ROW = {
    "kd_porsi": "1300477219",
    "nama": " AHMAD FAUZI ",
    "jenis_kelamin": "l",
    "tgl_lahir": "14-03-1958",
    "status_nikah": "Belum  Kawin",
    "no_hp": "6281234567890",
    "kd_prop": 17,
    "propinsi": "BENGKULU",
    "kd_kab": "1771",
    "kabupaten": "KOTA BENGKULU",
    "tgl_daftar": "2012-06-01",
    "bank": "BANK SYARIAH INDONESIA",
    "status_jemaah": " aktif ",
    "posisiporsi": "12345",
    "kuotapropinsi": 1600,
    "berangkatmasehi": "2026",
    "berangkathijriah": "1448",
    "status_bayar": "Belum Lunas",
    "tahun_pelunasan": "",
    "tahap_pelunasan": "",
    "status_cadangan": "n",
    "status_pelunasan": "BELUM_LUNAS",
    "status_istithaah": "istithaah dengan pendampingan",
    "tgl_istithaah": None,
    "vaksin_meningitis": "Y",
    "laik_terbang": " ",
    "pernah_haji": "N",
    "tahun_haji_terakhir": "",
    "asal_pelimpahan": "y",
    "porsi_terkait": "1300477220; 1300477221;",
    "kategori_prioritas": "Pendamping Lansia",
    "embarkasi": "PDG",
    "biaya_bipih": "56.046.000",
    "setoran_awal": "25000000",
    "nilai_manfaat": "",
    "jumlah_pelunasan": None,
    "updated_at": "2024-03-02T09:30:00+07:00",
}


def test_messy_export_row_becomes_a_clean_record():
    r = record_from_wire(MESSY_ROW)
    assert r.porsi == "1300477219"
    assert r.identity.name == "AHMAD FAUZI"
    assert r.identity.gender is Gender.L
    assert r.identity.birth_date == date(1958, 3, 14)
    assert r.identity.marital_status is MaritalStatus.BELUM_KAWIN
    assert r.identity.status is PilgrimStatus.AKTIF
    assert r.identity.phone == "6281234567890"
    assert r.waiting.province_code == "17"  # codes stay text
    assert r.waiting.position == 12345 and r.waiting.quota == 1600
    assert r.waiting.departure_year == 2026 and r.waiting.departure_season_hijri == 1448
    assert r.waiting.payment_status is PaymentStatus.BELUM_LUNAS
    assert r.payoff.season_hijri is None and r.payoff.tahap is None  # empty -> null
    assert r.payoff.reserve is False
    assert r.payoff.status is PaymentStatus.BELUM_LUNAS
    assert r.payoff.bipih == 56046000 and r.payoff.initial_deposit == 25000000
    assert r.payoff.benefit_value is None and r.payoff.amount_due is None
    assert r.health.istithaah is Istithaah.DENGAN_PENDAMPINGAN
    assert r.health.istithaah_date is None
    assert r.health.meningitis_vaccinated is True and r.health.fit_to_fly is None
    assert r.history.performed_hajj is False and r.history.transferred_in is True
    assert r.history.related_porsi == ("1300477220", "1300477221")
    assert r.history.priority is Priority.PENDAMPING_LANSIA
    assert r.cancellation is None
    assert r.updated_at == datetime(2024, 3, 2, 2, 30, tzinfo=UTC)
    assert r.unknown_values == {}


@pytest.mark.parametrize(
    "wire_field, raw, path, attr",
    [
        ("status_jemaah", "PINDAH", "identity.status", ("identity", "status")),
        ("status_bayar", "Lunas Sebagian", "waiting.payment_status", ("waiting", "payment_status")),
        ("status_pelunasan", "REFUND", "payoff.status", ("payoff", "status")),
        ("tahap_pelunasan", "TAHAP III", "payoff.tahap", ("payoff", "tahap")),
        ("status_istithaah", "LAIK", "health.istithaah", ("health", "istithaah")),
        ("kategori_prioritas", "DISABILITAS", "history.priority", ("history", "priority")),
        ("jenis_kelamin", "X", "identity.gender", ("identity", "gender")),
        ("status_nikah", "NIKAH SIRI", "identity.marital_status", ("identity", "marital_status")),
    ],
)
def test_unknown_status_is_kept_as_unknown_with_raw_text(wire_field, raw, path, attr):
    r = record_from_wire({"kd_porsi": "1300477219", wire_field: f" {raw} "})
    part, name = attr
    assert getattr(getattr(r, part), name).name == "UNKNOWN"
    assert r.unknown_values == {path: raw}
    # and it survives the trip back to the wire and again
    again = record_from_wire(row_from_record(r))
    assert again == r


def test_unknown_flag_is_kept_as_raw_text():
    r = record_from_wire({"kd_porsi": "1300477219", "laik_terbang": "MUNGKIN"})
    assert r.health.fit_to_fly is None
    assert r.unknown_values == {"health.fit_to_fly": "MUNGKIN"}


def test_impossible_date_in_row_names_the_field():
    with pytest.raises(WireError) as err:
        record_from_wire({**MESSY_ROW, "tgl_istithaah": "2025-02-30"})
    assert err.value.field == "tgl_istithaah"


def test_garbage_number_in_row_names_the_field():
    with pytest.raises(WireError) as err:
        record_from_wire({**MESSY_ROW, "kuotapropinsi": "banyak"})
    assert err.value.field == "kuotapropinsi"


def test_missing_porsi_raises():
    with pytest.raises(WireError):
        record_from_wire({"nama": "X"})


def test_partial_row_builds_a_partial_record():
    r = record_from_wire({"nomor_porsi": "1300477219", "tahun_pelunasan": "1447"})
    assert r.porsi == "1300477219" and r.payoff.season_hijri == 1447
    assert r.identity.name is None and r.updated_at is None and r.cancellation is None


def test_merge_of_the_four_read_calls():
    estimasi = {"kd_porsi": "1300477219", "nama": "AHMAD", "posisiporsi": "10",
                "status_bayar": "LUNAS"}  # fmt: skip
    pelunasan = {"nomor_porsi": "1300477219", "nama": "AHMAD", "bank": "BSI",
                 "nomor_rekening": "111", "status_pelunasan": "lunas", "tahun_pelunasan": "1447"}  # fmt: skip
    pembatalan = {"nomor_porsi": "1300477219", "nama": "AHMAD", "bank": "BANK LAIN",
                  "nomor_rekening": "222", "status_pembatalan": "PROSES",
                  "tgl_batal_pendaftaran": "01-02-2024", "nama_ahli_waris": ""}  # fmt: skip
    jemaah = {"kd_porsi": "1300477219", "status_jemaah": "BATAL", "updated_at": "2024-02-01"}
    row = merge_read_calls(estimasi, pelunasan, pembatalan, jemaah)
    assert row[CANCEL_BANK] == "BANK LAIN" and row[CANCEL_ACCOUNT] == "222"
    r = record_from_wire(row)
    assert r.identity.bank == "BSI" and r.payoff.account_number == "111"
    assert r.payoff.status is PaymentStatus.LUNAS and r.payoff.season_hijri == 1447
    assert r.waiting.position == 10 and r.identity.status is PilgrimStatus.BATAL
    c = r.cancellation
    assert c is not None and c.bank == "BANK LAIN" and c.account_number == "222"
    assert c.status == "PROSES" and c.cancelled_registration_on == date(2024, 2, 1)
    assert c.heir_name is None
    # pembatalan "01": no cancellation part
    assert (
        record_from_wire(merge_read_calls(estimasi, pelunasan, None, jemaah)).cancellation is None
    )


def test_fixture_rows_round_trip(tmp_path):
    import csv

    path = write_csv(tmp_path / "e.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    for wire_row in rows:
        r = record_from_wire(wire_row)
        out = row_from_record(r)
        assert tuple(out) == ROW_COLUMNS and all(isinstance(v, str) for v in out.values())
        assert record_from_wire(out) == r
    # values come back in the export's own spelling
    first = row_from_record(record_from_wire(rows[1]))
    assert first["status_pelunasan"] == "LUNAS" and first["tahap_pelunasan"] == "TAHAP I"
    assert first["vaksin_meningitis"] == "Y" and first["porsi_terkait"] == "1300477220"
    assert first["posisiporsi"] == "1234" and first["tahun_pelunasan"] == "1447"
    assert first["nilai_manfaat"] == "9500000" and first["no_hp"] == "6281234567890"
    assert first["updated_at"] == "2024-03-02T02:30:00+00:00"


def test_full_record_with_cancellation_round_trips():
    row = merge_read_calls(
        dict(MESSY_ROW),
        {"nomor_rekening": "7001234567"},
        {"bank": "BSI", "nomor_rekening": "9", "status_pembatalan": "SELESAI",
         "tgl_batal_pendaftaran": "2024-01-02", "tgl_batal_kankemenag": "03-01-2024",
         "no_spm_bpkh": "SPM-1", "tgl_spm_bpkh": "2024-01-04", "tgl_transfer_bps": "2024-01-05",
         "status_transfer": "SUDAH TRANSFER", "nama_ahli_waris": "ALI"},
        None,
    )  # fmt: skip
    r = record_from_wire(row)
    assert r.cancellation is not None and r.cancellation.heir_name == "ALI"
    assert r.cancellation.cancelled_at_office_on == date(2024, 1, 3)
    assert record_from_wire(row_from_record(r)) == r


def test_record_from_wire_is_fast_enough():
    import time

    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        record_from_wire(MESSY_ROW)
    per_row_us = (time.perf_counter() - start) / n * 1e6
    assert per_row_us < 200, per_row_us  # generous: CI machines are slow; typical ~20 us

"""`hajibot assess pelunasan`: reads the mirror, prints the verdict as JSON, clear errors."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from bot import cli
from integration import mirror
from knowledge.records import Health, History, Identity, Payoff, PilgrimRecord, WaitingList
from knowledge.values import Istithaah, MaritalStatus, PaymentStatus, PilgrimStatus, Tahap

PORSI = "1300477219"


def _record(porsi: str, istithaah: Istithaah) -> PilgrimRecord:
    return PilgrimRecord(
        porsi=porsi,
        identity=Identity(name="SITI AMINAH", birth_date=date(1960, 8, 17),
                          marital_status=MaritalStatus.KAWIN, phone="6281234567890",
                          status=PilgrimStatus.AKTIF),
        waiting=WaitingList(province="JAWA BARAT", regency="KAB. BOGOR", position=10, quota=100,
                            payment_status=PaymentStatus.BELUM_LUNAS),
        payoff=Payoff(season_hijri=1448, tahap=Tahap.II, status=PaymentStatus.BELUM_LUNAS,
                      amount_due=30_000_000),
        health=Health(istithaah=istithaah, meningitis_vaccinated=False),
        history=History(),
        updated_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


@pytest.fixture
def mirror_db(db, sqlite_url, hajibot_env):
    with db.session() as s:
        mirror.upsert_records(s, [_record(PORSI, Istithaah.ISTITHAAH),
                                  _record("1300477220", Istithaah.BELUM_DIPERIKSA)],
                              source="batch", fetched_at=datetime(2026, 11, 2, tzinfo=UTC))
    hajibot_env(database_url=sqlite_url)
    return db


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(["assess", "pelunasan", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_may_pay_as_json(mirror_db, capsys):
    code, out, _ = _run(capsys, "--porsi", PORSI, "--today", "2027-02-20", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["porsi"] == PORSI
    assert (data["verdict"], data["tahap"]) == ("may_pay", "II")
    assert data["reasons"] == ["tahap_II"]
    assert "no_meningitis_vaccine" in data["warnings"]
    assert "Tahap II" in data["text"] and "SPMA" in data["text"]
    assert "<b>" not in data["text"]  # plain text
    assert "Rp 30.000.000" in data["text"]


def test_other_verdict_and_today(mirror_db, capsys):
    code, out, _ = _run(capsys, "--porsi", "1300477220", "--today", "2027-01-10", "--json")
    assert code == 0
    assert json.loads(out)["verdict"] == "needs_health_exam"
    # a date outside the window adds the schedule warning
    code, out, _ = _run(capsys, "--porsi", PORSI, "--today", "2026-12-01", "--json")
    assert "outside_schedule" in json.loads(out)["warnings"]


def test_not_found_exits_1(mirror_db, capsys):
    code, out, _ = _run(capsys, "--porsi", "1300999999", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "not_found" and data["tahap"] is None


@pytest.mark.parametrize("argv,needle", [
    (["--porsi", "12345"], "10 digits"),
    (["--porsi", "abc"], "nomor porsi"),
    (["--porsi", PORSI, "--today", "2027-13-01"], "YYYY-MM-DD"),
    (["--porsi", PORSI, "--today", "kemarin"], "YYYY-MM-DD"),
    (["--porsi", PORSI, "--policy-version", "9999.9"], "not found"),
])
def test_bad_input_exits_2(mirror_db, capsys, argv, needle):
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert needle in err and out == ""


def test_plain_text_without_json(mirror_db, capsys):
    code, out, _ = _run(capsys, "--porsi", PORSI, "--today", "2027-02-20", "--lang", "en")
    assert code == 0
    assert "You may pay off in Tahap II" in out


def test_pelimpahan_is_a_sibling_subcommand():
    parser = cli.build_parser()
    args = parser.parse_args(["assess", "pelunasan", "--porsi", PORSI])
    assert args.assess_kind == "pelunasan"


@pytest.mark.parametrize("today", ["2027-03-10", "2027-05-01"])
def test_after_the_windows_closed_it_is_never_may_pay(mirror_db, capsys, today):
    code, out, _ = _run(capsys, "--porsi", PORSI, "--today", today, "--json")
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "window_closed"
    assert data["window"]["state"] == "after"
    assert "sudah ditutup" in data["text"] and "/petugas" in data["text"]

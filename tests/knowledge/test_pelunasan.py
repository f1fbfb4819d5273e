"""Pelunasan assessor: every verdict and warning from records built here; policy as data."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest
import yaml

from knowledge.pelunasan import (
    PERSONAL_VERDICTS,
    VERDICTS,
    WARNINGS,
    assess_pelunasan,
    public_view,
)
from knowledge.policy_loader import PolicyError, list_versions, load_policy
from knowledge.records import Health, History, Identity, Payoff, PilgrimRecord, WaitingList
from knowledge.values import (
    Istithaah,
    MaritalStatus,
    PaymentStatus,
    PilgrimStatus,
    Priority,
    Tahap,
)

TODAY = date(2027, 1, 10)  # inside the placeholder Tahap I window of policy 1448.1


@pytest.fixture(scope="module")
def policy() -> dict:
    return load_policy("pelunasan", "1448.1")


def record(**parts) -> PilgrimRecord:
    """A pilgrim who may pay off in Tahap I of 1448; override parts with dataclasses.replace."""
    base = PilgrimRecord(
        porsi="1300477219",
        identity=Identity(name="SITI AMINAH", birth_date=date(1960, 8, 17),
                          marital_status=MaritalStatus.KAWIN, phone="6281234567890",
                          status=PilgrimStatus.AKTIF, bank="BANK CONTOH"),
        waiting=WaitingList(province="JAWA BARAT", regency="KAB. BOGOR", position=120,
                            quota=1000, payment_status=PaymentStatus.BELUM_LUNAS),
        payoff=Payoff(season_hijri=1448, tahap=Tahap.I, reserve=False,
                      status=PaymentStatus.BELUM_LUNAS, embarkation="JKG", bipih=56_000_000,
                      initial_deposit=25_000_000, benefit_value=1_000_000,
                      amount_due=30_000_000, account_number="0123456789"),
        health=Health(istithaah=Istithaah.ISTITHAAH, meningitis_vaccinated=True, fit_to_fly=True),
        history=History(performed_hajj=False),
    )
    out = base
    for name, changes in parts.items():
        out = dataclasses.replace(out, **{name: dataclasses.replace(getattr(out, name), **changes)})
    return out


def test_may_pay_tahap_i(policy):
    a = assess_pelunasan(record(), policy, TODAY)
    assert a.verdict == "may_pay"
    assert a.tahap == "I"
    assert a.warnings == ()
    assert "pay_at_bank" in a.next_steps
    assert a.window is not None and a.window.state == "open"
    assert set(a.sources) <= set(policy["sources"])
    assert a.policy_version == "1448.1"


def test_may_pay_tahap_ii(policy):
    a = assess_pelunasan(record(payoff={"tahap": Tahap.II}), policy, date(2027, 2, 20))
    assert (a.verdict, a.tahap) == ("may_pay", "II")
    assert "outside_schedule" not in a.warnings


def test_not_found(policy):
    a = assess_pelunasan(None, policy, TODAY)
    assert a.verdict == "not_found" and a.tahap is None


@pytest.mark.parametrize("status,step", [
    (PilgrimStatus.WAFAT, "pelimpahan"),
    (PilgrimStatus.SAKIT_PERMANEN, "pelimpahan"),
    (PilgrimStatus.BATAL, "pembatalan_kankemenag"),
    (PilgrimStatus.BERANGKAT, "kankemenag"),
    (PilgrimStatus.DILIMPAHKAN, "kankemenag"),
    (PilgrimStatus.UNKNOWN, "kankemenag"),
    (None, "kankemenag"),
])
def test_inactive(policy, status, step):
    a = assess_pelunasan(record(identity={"status": status}), policy, TODAY)
    assert a.verdict == "inactive"
    assert step in a.next_steps
    if status in (None, PilgrimStatus.UNKNOWN):
        assert a.reasons == ("status_unknown",)  # never lets an unknown status pay


def test_inactive_beats_everything_else(policy):
    a = assess_pelunasan(record(identity={"status": PilgrimStatus.WAFAT},
                                payoff={"status": PaymentStatus.LUNAS},
                                health={"istithaah": Istithaah.TIDAK}), policy, TODAY)
    assert a.verdict == "inactive"
    assert a.warnings == ()  # no health warning beside a death


def test_already_paid(policy):
    a = assess_pelunasan(record(payoff={"status": PaymentStatus.LUNAS}), policy, TODAY)
    assert a.verdict == "already_paid"
    # status_bayar of the public lookup backs up a missing status_pelunasan
    b = assess_pelunasan(record(payoff={"status": None},
                                waiting={"payment_status": PaymentStatus.LUNAS}), policy, TODAY)
    assert b.verdict == "already_paid"


@pytest.mark.parametrize("payoff,reason", [
    ({"season_hijri": None, "tahap": None}, "no_allocation"),
    ({"season_hijri": 1449}, "other_season"),
    ({"tahap": None}, "no_tahap"),
])
def test_not_in_quota_yet_with_estimate(policy, payoff, reason):
    a = assess_pelunasan(record(payoff=payoff, waiting={"position": 2500, "quota": 1000}),
                         policy, date(2026, 11, 20))
    assert a.verdict == "not_in_quota_yet"
    assert a.reasons == (reason,)
    assert a.estimate is not None and a.estimate.computed
    assert a.estimate.season_hijri == 1450  # 3rd season from 1448


def test_not_in_quota_uses_siskohat_estimate(policy):
    a = assess_pelunasan(record(payoff={"season_hijri": None, "tahap": None},
                                waiting={"departure_season_hijri": 1460,
                                         "departure_year": 2038}), policy, date(2026, 11, 20))
    assert a.estimate.season_hijri == 1460 and a.estimate.year_masehi == 2038
    assert not a.estimate.computed


def test_blocked_age_unless_married(policy):
    young = {"birth_date": date(2009, 6, 1), "marital_status": MaritalStatus.BELUM_KAWIN}
    a = assess_pelunasan(record(identity=young), policy, TODAY)
    assert a.verdict == "blocked_age"
    married = dict(young, marital_status=MaritalStatus.KAWIN)
    assert assess_pelunasan(record(identity=married), policy, TODAY).verdict == "may_pay"


def test_age_measured_on_first_departure(policy):
    # 18 on 2027-04-22 (first_departure of 1448.1) but not yet on TODAY: may pay.
    turns_18 = {"birth_date": date(2009, 4, 22), "marital_status": MaritalStatus.BELUM_KAWIN}
    assert assess_pelunasan(record(identity=turns_18), policy, TODAY).verdict == "may_pay"
    one_day_late = dict(turns_18, birth_date=date(2009, 4, 23))
    assert assess_pelunasan(record(identity=one_day_late), policy, TODAY).verdict == "blocked_age"


@pytest.mark.parametrize("ist,reason", [
    (Istithaah.BELUM_DIPERIKSA, "not_examined"),
    (None, "istithaah_missing"),
    (Istithaah.UNKNOWN, "istithaah_unknown"),
])
def test_needs_health_exam(policy, ist, reason):
    a = assess_pelunasan(record(health={"istithaah": ist}), policy, TODAY)
    assert a.verdict == "needs_health_exam"
    assert a.reasons == (reason,)
    assert "bring_exam_proof" in a.next_steps  # seed 000 edge case 1
    assert "same_day_input" in a.warnings  # seed 000 edge case 2 / option 3


def test_blocked_istithaah(policy):
    a = assess_pelunasan(record(health={"istithaah": Istithaah.TIDAK}), policy, TODAY)
    assert (a.verdict, a.reasons) == ("blocked_istithaah", ("tidak_istithaah",))
    t = assess_pelunasan(record(health={"istithaah": Istithaah.TIDAK_SEMENTARA}), policy, TODAY)
    assert (t.verdict, t.reasons) == ("blocked_istithaah", ("tidak_istithaah_sementara",))
    assert "temporary_istithaah" in t.warnings
    assert "pay_after_update" in t.next_steps  # seed 000 edge case 6


@pytest.mark.parametrize("parts,warning", [
    ({"health": {"meningitis_vaccinated": False}}, "no_meningitis_vaccine"),
    ({"health": {"fit_to_fly": False}}, "not_fit_to_fly"),
    ({"history": {"related_porsi": ("1300477220",)}}, "multiple_porsi"),
    ({"health": {"istithaah": Istithaah.DENGAN_PENDAMPINGAN}}, "with_companion"),
    ({"history": {"priority": Priority.PENDAMPING_LANSIA}}, "companion_of_elderly"),
    ({"payoff": {"status": PaymentStatus.GAGAL_BAYAR}}, "failed_payment"),
    ({"payoff": {"status": PaymentStatus.LUNAS_TUNDA}}, "deferred_payoff"),
    ({"payoff": {"reserve": True}}, "reserve"),
    ({"history": {"priority": Priority.CADANGAN}}, "reserve"),
])
def test_warnings_beside_may_pay(policy, parts, warning):
    a = assess_pelunasan(record(**parts), policy, TODAY)
    assert a.verdict == "may_pay"
    assert warning in a.warnings


def test_multiple_porsi_asks_for_the_payoff_number(policy):
    a = assess_pelunasan(record(history={"related_porsi": ("1300477220",)}), policy, TODAY)
    assert "bring_porsi_number" in a.next_steps


def test_temporary_istithaah_beside_other_verdict(policy):
    a = assess_pelunasan(record(health={"istithaah": Istithaah.TIDAK_SEMENTARA},
                                payoff={"season_hijri": None, "tahap": None}), policy, TODAY)
    assert a.verdict == "not_in_quota_yet"
    assert "temporary_istithaah" in a.warnings


def test_before_the_window_opens_says_when(policy):
    a = assess_pelunasan(record(), policy, date(2026, 12, 1))
    assert a.verdict == "may_pay"
    assert "outside_schedule" in a.warnings
    assert a.window.state == "before" and a.window.days_to_open == 34
    assert a.window.opens == date(2027, 1, 4)


def test_an_open_window_says_until_when_with_days_left(policy):
    a = assess_pelunasan(record(), policy, date(2027, 2, 1))
    assert a.verdict == "may_pay" and "outside_schedule" not in a.warnings
    assert a.window.state == "open" and a.window.days_left == 5  # 1..5 Feb, closes counted


@pytest.mark.parametrize("today,reason,steps", [
    (date(2027, 2, 10), "tahap_closed_tahap2_left", ("ask_tahap2", "helpdesk")),
    (date(2027, 3, 10), "season_closed", ("kankemenag", "helpdesk")),
    (date(2027, 5, 1), "season_closed", ("kankemenag", "helpdesk")),
])
def test_a_closed_window_is_never_may_pay(policy, today, reason, steps):
    a = assess_pelunasan(record(), policy, today)
    assert a.verdict == "window_closed"
    assert a.reasons == (reason,) and a.next_steps == steps
    assert a.window.state == "after" and not a.personal
    a2 = assess_pelunasan(record(payoff={"tahap": Tahap.II}), policy, date(2027, 3, 10))
    assert a2.verdict == "window_closed" and a2.reasons == ("season_closed",)


def test_every_code_is_exercised():
    """The lists above are the contract the templates render; keep them in step."""
    assert len(VERDICTS) == 9
    assert {"same_day_input", "outside_schedule", "temporary_istithaah"} <= set(WARNINGS)
    assert "not_found" not in PERSONAL_VERDICTS


# --- policy as data -----------------------------------------------------------------------------


def _new_season(tmp_path: Path, policy: dict) -> Path:
    new = yaml.safe_load(yaml.safe_dump(policy))  # deep copy, dates preserved
    new["version"] = "1449.1"
    new["season"] = {"hijri": 1449, "masehi": 2028, "source": "operator"}
    new["schedule"]["tahap"] = {"I": {"opens": date(2027, 12, 20), "closes": date(2028, 1, 20)},
                                "II": {"opens": date(2028, 2, 1), "closes": date(2028, 2, 20)}}
    new["schedule"]["first_departure"] = date(2028, 4, 10)
    new["rules"]["minimum_age"]["years"] = 21  # a changed rule parameter
    (tmp_path / "pelunasan_1448.1.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    (tmp_path / "pelunasan_1449.1.yaml").write_text(yaml.safe_dump(new), encoding="utf-8")
    return tmp_path


def test_new_season_is_a_data_change(tmp_path, policy):
    folder = _new_season(tmp_path, policy)
    assert list_versions("pelunasan", folder) == ["1448.1", "1449.1"]
    newest = load_policy("pelunasan", directory=folder)
    assert newest["version"] == "1449.1"
    today = date(2028, 1, 5)
    allocated_1448 = record()
    allocated_1449 = record(payoff={"season_hijri": 1449})
    assert assess_pelunasan(allocated_1448, policy, TODAY).verdict == "may_pay"
    assert assess_pelunasan(allocated_1448, newest, today).verdict == "not_in_quota_yet"
    assert assess_pelunasan(allocated_1449, newest, today).verdict == "may_pay"
    # age 19 on first departure: fine under 18, blocked under the new file's 21
    nineteen = {"birth_date": date(2009, 1, 1), "marital_status": MaritalStatus.BELUM_KAWIN}
    assert assess_pelunasan(record(identity=nineteen, payoff={"season_hijri": 1449}), newest,
                            today).verdict == "blocked_age"


def test_versions_sort_naturally(tmp_path, policy):
    for v in ("1448.2", "1448.10", "1448.9"):
        data = dict(policy, version=v)
        (tmp_path / f"pelunasan_{v}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_policy("pelunasan", directory=tmp_path)["version"] == "1448.10"


def test_unsourced_rule_is_refused(tmp_path, policy):
    bad = yaml.safe_load(yaml.safe_dump(policy))
    bad["rules"]["minimum_age"]["source"] = "made_up"
    (tmp_path / "pelunasan_1448.1.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(PolicyError, match="made_up"):
        load_policy("pelunasan", directory=tmp_path)


def test_version_must_match_file_name(tmp_path, policy):
    (tmp_path / "pelunasan_1450.1.yaml").write_text(yaml.safe_dump(policy), encoding="utf-8")
    with pytest.raises(PolicyError, match="declares version"):
        load_policy("pelunasan", directory=tmp_path)
    with pytest.raises(PolicyError, match="no policy file"):
        load_policy("nothing", directory=tmp_path)


def test_window_dates_are_marked_placeholders(policy):
    assert policy["schedule"]["placeholder"] is True
    assert policy["schedule"]["source"] == "operator"
    assert assess_pelunasan(record(), policy, TODAY).schedule_placeholder


# --- public level -------------------------------------------------------------------------------


def test_public_view_has_no_personal_data(policy):
    view = public_view(record(health={"istithaah": Istithaah.TIDAK}), policy, TODAY)
    assert view["name"] == "S*** A*****"
    assert view["allocated"] and view["tahap"] == "I"
    flat = repr(view)
    for secret in ("TIDAK", "ISTITHAAH", "6281234567890", "1960", "30000000", "0123456789"):
        assert secret not in flat

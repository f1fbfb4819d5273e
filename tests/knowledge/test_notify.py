"""knowledge/notify.py: the diff of two readings, quiet hours, zones, reminders, masking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from knowledge import notify
from knowledge.masking import mask_porsi
from knowledge.records import Health, Identity, Payoff, PilgrimRecord, WaitingList
from knowledge.values import Istithaah, PaymentStatus, PilgrimStatus, Tahap

POLICY = {"season": {"hijri": 1448, "masehi": 2027},
          "schedule": {"placeholder": False, "tahap": {
              "I": {"opens": "2027-01-04", "closes": "2027-02-05"},
              "II": {"opens": "2027-02-15", "closes": "2027-03-05"}}}}
TODAY = date(2026, 12, 7)


def rec(**waiting) -> PilgrimRecord:
    w = {"province_code": "73", "position": 50_000, "quota": 2_000} | waiting
    return PilgrimRecord("7300000001", identity=Identity(status=PilgrimStatus.AKTIF),
                         waiting=WaitingList(**w),
                         payoff=Payoff(status=PaymentStatus.BELUM_LUNAS),
                         health=Health(istithaah=Istithaah.BELUM_DIPERIKSA))


def test_same_record_is_no_change():
    assert notify.diff(rec(), rec(), TODAY, POLICY) == []


def test_estimate_moves_with_the_quota_and_says_so():
    changes = notify.diff(rec(), rec(quota=1_000), TODAY, POLICY)
    assert [c.kind for c in changes] == ["estimate"]
    c = changes[0]
    assert c.payload["reason"] == "quota" and c.payload["quota_new"] == 1_000
    assert c.payload["new_hijri"] > c.payload["old_hijri"]
    assert c.old != c.new and not c.sensitive


def test_estimate_moves_with_the_position():
    c = notify.diff(rec(), rec(position=10_000), TODAY, POLICY)[0]
    assert c.payload["reason"] == "position" and c.payload["position_old"] == 50_000


def test_area_quota_kept_per_season_tells_the_reason():
    old = rec(departure_season_hijri=1470)
    new = rec(departure_season_hijri=1480)
    c = notify.diff(old, new, TODAY, POLICY, area_quota=1_500)[0]
    assert c.payload["reason"] == "quota" and c.payload["quota_new"] == 1_500
    assert notify.diff(old, new, TODAY, POLICY)[0].payload["reason"] == "unknown"


def test_allocation_status_and_sensitive_kinds():
    base = rec()
    allocated = replace(base, payoff=replace(base.payoff, season_hijri=1448, tahap=Tahap.I))
    kinds = {c.kind: c for c in notify.diff(base, allocated, TODAY, POLICY)}
    assert kinds["allocation"].payload == {
        "season": 1448, "tahap": "I", "reserve": False, "opens": "2027-01-04",
        "closes": "2027-02-05", "placeholder": False}
    died = replace(base, identity=Identity(status=PilgrimStatus.WAFAT))
    assert [c.kind for c in notify.diff(base, died, TODAY, POLICY)] == ["status"]
    ill = replace(base, identity=Identity(status=PilgrimStatus.SAKIT_PERMANEN))
    health = notify.diff(base, ill, TODAY, POLICY)
    assert [c.kind for c in health] == ["health"] and health[0].payload == {}
    result = replace(base, health=Health(istithaah=Istithaah.TIDAK))
    paid = replace(base, payoff=replace(base.payoff, status=PaymentStatus.LUNAS))
    assert [c.kind for c in notify.diff(base, result, TODAY, POLICY)] == ["health"]
    pay = notify.diff(base, paid, TODAY, POLICY)
    assert [c.kind for c in pay] == ["payment"] and pay[0].sensitive and pay[0].payload == {}


@pytest.mark.parametrize(("code", "zone"), [("35", "WIB"), ("3509", "WIB"), ("73", "WITA"),
                                           ("51", "WITA"), ("94", "WIT"), ("81", "WIT"),
                                           (None, "WIB"), ("", "WIB")])
def test_zone_by_province(code, zone):
    assert notify.zone_of(code) == zone


def test_quiet_hours_in_the_pilgrims_zone():
    quiet = notify.parse_quiet_hours("21:00-06:00")
    at = datetime(2026, 12, 7, 13, 30, tzinfo=UTC)  # 20:30 WIB, 21:30 WITA, 22:30 WIT
    assert notify.quiet_until(at, "WIB", quiet) is None
    until = notify.quiet_until(at, "WITA", quiet)
    assert until == datetime(2026, 12, 7, 22, 0, tzinfo=UTC)  # 06:00 WITA next morning
    assert notify.quiet_until(at, "WIT", quiet) == datetime(2026, 12, 7, 21, 0, tzinfo=UTC)
    early = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # 05:30 WIB
    assert notify.quiet_until(early, "WIB", quiet) == datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
    assert notify.quiet_until(at, "WITA", notify.parse_quiet_hours("")) is None
    day = notify.parse_quiet_hours("12:00-13:00")
    assert notify.quiet_until(datetime(2026, 1, 1, 5, 30, tzinfo=UTC), "WIB", day)
    with pytest.raises(ValueError):
        notify.parse_quiet_hours("9pm-6am")


def test_reminders_on_their_days_and_none_with_placeholders():
    assert notify.due_reminders(POLICY, date(2027, 1, 3)) == []
    assert notify.due_reminders(POLICY, date(2027, 1, 4)) == [
        ("I", "opens", date(2027, 1, 4), date(2027, 2, 5))]
    assert notify.due_reminders(POLICY, date(2027, 1, 20))[0][1] == "opens"  # still the latest
    assert notify.due_reminders(POLICY, date(2027, 1, 29))[0][1] == "closes_7"
    assert notify.due_reminders(POLICY, date(2027, 2, 4))[0][1] == "closes_1"
    assert notify.due_reminders(POLICY, date(2027, 2, 6)) == []
    placeholder = {**POLICY, "schedule": {**POLICY["schedule"], "placeholder": True}}
    assert notify.due_reminders(placeholder, date(2027, 1, 4)) == []
    assert "placeholder" in notify.reminders_off_reason(placeholder | {"version": "x"})
    assert notify.reminders_off_reason(POLICY) is None


def test_mask_porsi_and_estimate_move():
    assert mask_porsi("3509412276") == "35094…76"
    assert notify.estimate_move((1460, 2038, 5, 800), (1460, 2038, 4, 800)) is None
    move = notify.estimate_move((1460, 2038, 5, 800), (1470, 2048, 5, 400))
    assert move["reason"] == "quota" and move["quota_old"] == 800

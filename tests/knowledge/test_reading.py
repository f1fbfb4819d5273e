"""One reading of a record: every screen agrees on season, allocation, payoff and eligibility."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.base import render
from handlers.pelunasan.common import render_result
from knowledge.pelimpahan import (
    Case,
    assess_pelimpahan,
    facts_from_record,
    merge_facts,
)
from knowledge.pelimpahan import load_policy as load_pelimpahan
from knowledge.pelunasan import assess_pelunasan, public_view
from knowledge.policy_loader import load_policy
from knowledge.reading import read_record
from knowledge.records import Health, History, Identity, Payoff, PilgrimRecord, WaitingList
from knowledge.status_view import build_status_view
from knowledge.values import Istithaah, PaymentStatus, PilgrimStatus, Priority, Tahap

POLICY = load_policy("pelunasan")
PELIMPAHAN = load_pelimpahan()
SEASON = POLICY["season"]["hijri"]


def _record(status=PilgrimStatus.AKTIF, season=SEASON, tahap=Tahap.I, reserve=False,
            payment=PaymentStatus.BELUM_LUNAS, transferred=False, position=1000, quota=800,
            istithaah=Istithaah.ISTITHAAH, priority=None) -> PilgrimRecord:
    return PilgrimRecord(
        porsi="3509412276",
        identity=Identity(name="AHMAD FAUZI", status=status, birth_date=date(1970, 1, 1)),
        waiting=WaitingList(regency="Kab. Sidoarjo", province="Jawa Timur", position=position,
                            quota=quota, payment_status=payment),
        payoff=Payoff(season_hijri=season, tahap=tahap, reserve=reserve, status=payment,
                      amount_due=24_967_550),
        health=Health(istithaah=istithaah, meningitis_vaccinated=True, fit_to_fly=True),
        history=History(transferred_in=transferred, priority=priority),
    )


records = st.builds(
    _record,
    status=st.sampled_from([*list(PilgrimStatus), None]),
    season=st.sampled_from([SEASON, SEASON + 1, SEASON - 1, None]),
    tahap=st.sampled_from([Tahap.I, Tahap.II, None]),
    reserve=st.booleans(),
    payment=st.sampled_from([*list(PaymentStatus), None]),
    transferred=st.sampled_from([True, False, None]),
    position=st.integers(min_value=0, max_value=2_000_000),
    quota=st.integers(min_value=0, max_value=50_000),
    istithaah=st.sampled_from([*list(Istithaah), None]),
    priority=st.sampled_from([*list(Priority), None]),
)
days = st.dates(min_value=date(2026, 10, 1), max_value=date(2027, 7, 1))


@given(record=records, today=days)
def test_no_two_screens_disagree(record, today):
    reading = read_record(record, today, POLICY)
    card = build_status_view(record, source="mirror", as_of=None, today=today, policy=POLICY)
    public = public_view(record, POLICY, today)
    verdict = assess_pelunasan(record, POLICY, today)
    assert card.reading == reading == verdict.reading
    # allocation and cadangan: the card, the public payoff screen and the verdict agree
    assert public["allocated"] == reading.allocated and public["reserve"] == reading.reserve
    assert public["tahap"] == reading.tahap
    if verdict.verdict not in ("not_found", "inactive", "already_paid"):
        assert (verdict.verdict == "not_in_quota_yet") == (not reading.allocated)
    # a closed window is never "may pay"
    if verdict.verdict == "may_pay" and reading.window is not None:
        assert reading.window.state != "after"
    if reading.window is not None and reading.window.state == "after" and reading.active:
        assert verdict.verdict in ("window_closed", "already_paid")
    # estimates: the card and the payoff screen give the same season
    if not reading.allocated and public["estimate"] and card.estimate:
        assert public["estimate"]["season_hijri"] == card.estimate.season_hijri
    # pelimpahan: the card points to it exactly when the wizard could say yes
    facts = facts_from_record(record, public_only=True)
    case = merge_facts(Case(cause="wafat", event_date=date(2024, 1, 1), before_departure=True,
                            relation="anak kandung", recipient_birth_date=date(1990, 1, 1),
                            submission_date=today), facts)
    result = assess_pelimpahan(case, PELIMPAHAN)
    if reading.pelimpahan in ("departed", "cancelled", "transferred_in", "already_transferred"):
        assert result.eligible is False
    if card.pelimpahan_possible:
        assert result.eligible is True
    # the rendered screens say cadangan alike
    card_text = render("id", "status_result.j2", v=card, demo=False)
    pub_text = render("id", "pelunasan_public.j2", v=public, porsi=record.porsi,
                      season_hijri=SEASON, season_masehi=2027, as_of_text=None)
    if reading.reserve and reading.waiting:
        assert "cadangan" in card_text and "cadangan" in pub_text
    if not reading.reserve:
        assert "jemaah cadangan</b>" not in card_text + pub_text


@pytest.mark.parametrize("status,state", [
    (PilgrimStatus.BERANGKAT, "departed"), (PilgrimStatus.BATAL, "cancelled"),
    (PilgrimStatus.WAFAT, "possible"), (PilgrimStatus.AKTIF, "active"),
    (PilgrimStatus.DILIMPAHKAN, "already_transferred"), (PilgrimStatus.UNKNOWN, "unknown")])
def test_pelimpahan_state_follows_the_record(status, state):
    assert read_record(_record(status=status), date(2026, 12, 6), POLICY).pelimpahan == state


def test_a_porsi_that_came_by_pelimpahan_cannot_pass_again():
    r = read_record(_record(status=PilgrimStatus.WAFAT, transferred=True), date(2026, 12, 6),
                    POLICY)
    assert r.pelimpahan == "transferred_in"


def test_cadangan_is_allocated_as_reserve_everywhere():
    rec = _record(tahap=Tahap.II, reserve=True, priority=Priority.CADANGAN)
    today = date(2026, 12, 6)
    reading = read_record(rec, today, POLICY)
    assert reading.allocation == "reserve" and reading.tahap == "II"
    a = assess_pelunasan(rec, POLICY, today)
    text = render_result("id", a, rec, POLICY, today)
    assert "jemaah cadangan" in text and "Anda dapat melakukan pelunasan" not in text


def test_lunas_tunda_is_never_shown_a_full_payoff():
    rec = _record(payment=PaymentStatus.LUNAS_TUNDA)
    today = date(2026, 12, 6)
    a = assess_pelunasan(rec, POLICY, today)
    assert a.reading.payment_meaning == "deferred"
    for lang in ("id", "en"):
        text = render_result(lang, a, rec, POLICY, today)
        assert "24.967.550" not in text and "24,967,550" not in text
        assert "lunas tunda" in text


def test_window_days_left_and_opening_day():
    rec = _record()
    opens = date.fromisoformat(str(POLICY["schedule"]["tahap"]["I"]["opens"]))
    closes = date.fromisoformat(str(POLICY["schedule"]["tahap"]["I"]["closes"]))
    before = read_record(rec, opens - timedelta(days=3), POLICY).window
    assert before.state == "before" and before.days_to_open == 3
    last = read_record(rec, closes, POLICY).window
    assert last.state == "open" and last.days_left == 1
    text = render_result("id", assess_pelunasan(rec, POLICY, closes), rec, POLICY, closes)
    assert "tersisa 1 hari" in text
    after = read_record(rec, closes + timedelta(days=1), POLICY).window
    assert after.state == "after"

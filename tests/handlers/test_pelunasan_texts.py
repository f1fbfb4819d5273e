"""Every pelunasan verdict, warning and next step renders in Indonesian and English, with sources."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from handlers.base import _env
from handlers.pelunasan.common import kb_ids, record_values, render_result
from knowledge.pelunasan import NEXT_STEPS, VERDICTS, WARNINGS, Window, assess_pelunasan
from knowledge.policy_loader import load_policy
from knowledge.records import Identity, Payoff, PilgrimRecord
from knowledge.values import PilgrimStatus, Tahap

POLICY = load_policy("pelunasan")
TODAY = date(2027, 1, 10)
RECORD = PilgrimRecord(porsi="1300477219",
                       identity=Identity(name="SITI AMINAH", status=PilgrimStatus.AKTIF),
                       payoff=Payoff(season_hijri=1448, tahap=Tahap.I))
BASE = dataclasses.replace(
    assess_pelunasan(RECORD, POLICY, TODAY),
    window=Window(tahap="I", opens=date(2027, 1, 4), closes=date(2027, 2, 5), state="before"),
    status="WAFAT")
R = record_values(RECORD, POLICY, TODAY, personal=True)


def _macro(lang: str, name: str):
    return getattr(_env(lang).get_template("pelunasan_macros.j2").module, name)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("verdict", VERDICTS)
def test_every_verdict_has_text(lang, verdict):
    a = dataclasses.replace(BASE, verdict=verdict, reasons=("not_examined",))
    assert len(str(_macro(lang, "verdict")(a, R)).strip()) > 20


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("code", WARNINGS)
def test_every_warning_has_text(lang, code):
    assert len(str(_macro(lang, "warning")(code, BASE, R)).strip()) > 20


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("code", NEXT_STEPS)
def test_every_step_has_text(lang, code):
    assert len(str(_macro(lang, "step")(code, BASE, R)).strip()) > 10


def test_policy_steps_are_known_codes():
    for steps in POLICY["rules"]["active_status"]["next_steps"].values():
        assert set(steps) <= set(NEXT_STEPS)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_result_cites_sources_and_policy_version(lang):
    a = assess_pelunasan(RECORD, POLICY, TODAY)
    text = render_result(lang, a, RECORD, POLICY, TODAY)
    assert "Evaluasi Integrasi Siskohat-Siskohatkes" in text
    assert "1448.1" in text


def test_kb_buttons_exist_in_the_knowledge_base():
    from knowledge.kb_schema import default_kb

    kb = default_kb()
    a = dataclasses.replace(BASE, verdict="needs_health_exam",
                            warnings=("no_meningitis_vaccine", "same_day_input"))
    ids = kb_ids(a)
    assert ids and all(kb.get(i) is not None for i in ids)


def test_every_kb_id_offered_exists():
    from handlers.pelunasan.common import KB_FOR
    from knowledge.kb_schema import default_kb

    kb = default_kb()
    missing = {i for ids in KB_FOR.values() for i in ids if kb.get(i) is None}
    assert not missing


def _demo(label: str):
    from integration.demo import DEMO_PORSI, showcase_rows
    from integration.wire import record_from_wire

    rows = dict(zip(DEMO_PORSI, showcase_rows(), strict=True))
    return record_from_wire(rows[label])


def _personal(label: str, lang: str = "id") -> tuple[str, str]:
    from handlers.pelimpahan.view import plain

    record = _demo(label)
    a = assess_pelunasan(record, POLICY, date(2026, 11, 21))
    return a.verdict, plain(render_result(lang, a, record, POLICY, date(2026, 11, 21)))


@pytest.mark.parametrize("label", ["tidak_istithaah", "lunas", "waiting", "minor", "wafat"])
def test_amounts_only_where_a_payoff_is_ahead(label):
    verdict, text = _personal(label)
    assert verdict != "may_pay"
    assert "Jumlah pelunasan" not in text and "Rp " not in text


@pytest.mark.parametrize("label", ["tahap1", "two_porsi_a", "belum_diperiksa", "cadangan"])
def test_personal_reply_fits_a_phone_and_leads_with_the_verdict(label):
    verdict, text = _personal(label)
    lines = text.splitlines()
    assert len(lines) <= 20, text
    if verdict == "may_pay":
        assert "Jumlah pelunasan: Rp " in text
        lead = ("Nomor porsi ini tercatat sebagai jemaah cadangan" if label == "cadangan"
                else "Anda dapat melakukan pelunasan")
        assert lines[2].startswith(lead)
        # what to do comes before the details
        assert text.index("Langkah berikutnya") < text.index("Rincian")
    assert "BANK SYARIAH INDONESIA" not in text  # data capitals in ordinary case


@pytest.mark.parametrize("lang", ["id", "en"])
def test_blocked_age_date_carries_the_placeholder_disclaimer(lang):
    verdict, text = _personal("minor", lang)
    assert verdict == "blocked_age"
    assert ("pengaturan bot, belum diumumkan resmi" if lang == "id"
            else "the bot's setting, not yet officially announced") in text


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("label", ["batal", "berangkat", "unknown_status"])
def test_inactive_without_pelimpahan_does_not_cite_the_pelimpahan_rules(label, lang):
    verdict, text = _personal(label, lang)
    assert verdict == "inactive"
    sources = text[text.index("Sumber:" if lang == "id" else "Sources:"):]
    assert "pelimpahan" not in sources.lower() and "130/2020" not in sources
    assert "Siskohat" in sources and "Kankemenag" in sources


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("label", ["wafat", "sakit_permanen"])
def test_inactive_for_pelimpahan_cites_the_pelimpahan_rules(label, lang):
    verdict, text = _personal(label, lang)
    assert verdict == "inactive"
    sources = text[text.index("Sumber:" if lang == "id" else "Sources:"):]
    assert "130/2020" in sources


@pytest.mark.parametrize("lang", ["id", "en"])
def test_schedule_is_said_once(lang):
    verdict, text = _personal("tahap1", lang)
    assert verdict == "may_pay"
    assert text.count("4 Januari 2027" if lang == "id" else "4 January 2027") == 1
    assert text.count("5 Februari 2027" if lang == "id" else "5 February 2027") == 1


def test_meningitis_button_only_when_the_vaccine_is_not_on_record():
    paid = dataclasses.replace(BASE, verdict="already_paid", warnings=())
    assert "vaksin-meningitis" not in kb_ids(paid) and "spma" in kb_ids(paid)
    unvaccinated = dataclasses.replace(paid, warnings=("no_meningitis_vaccine",))
    assert "vaksin-meningitis" in kb_ids(unvaccinated)

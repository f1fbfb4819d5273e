"""Pelunasan assessor: may this pilgrim pay off this season, and if not, why and what next.

Pure: a `PilgrimRecord`, the pelunasan policy (knowledge/policy/pelunasan_<version>.yaml, loaded
with `knowledge.policy_loader.load_policy("pelunasan")`) and today's date in, an `Assessment`
of codes out. Texts live in the templates (handlers/templates/*/pelunasan_*.j2).

Verdicts, checked in this order (the first that applies wins): see `VERDICTS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from knowledge import estimate as est
from knowledge.masking import mask_name
from knowledge.reading import (
    RESTRICTED,
    SENSITIVE_PAYMENTS,
    SENSITIVE_STATUSES,
    Estimate,
    Reading,
    Window,
    as_date,
    payment_status,
    read_record,
)
from knowledge.records import PilgrimRecord
from knowledge.values import Istithaah, MaritalStatus, PaymentStatus, PilgrimStatus, Priority, Tahap

VERDICTS = (
    "not_found",
    "inactive",  # status_jemaah is not AKTIF (wafat / sakit permanen -> pelimpahan)
    "already_paid",
    "not_in_quota_yet",  # no tahap, or tahun_pelunasan is not the coming season
    "window_closed",  # this porsi's Tahap window has closed on the day (never "may pay")
    "blocked_age",  # under 18 and never married, on the season's first departure day
    "needs_health_exam",  # istithaah not (yet) on record
    "blocked_istithaah",  # tidak istithaah (sementara)
    "may_pay",
)
WARNINGS = (
    "no_meningitis_vaccine",
    "not_fit_to_fly",
    "multiple_porsi",
    "outside_schedule",
    "temporary_istithaah",
    "with_companion",
    "companion_of_elderly",
    "failed_payment",
    "deferred_payoff",
    "reserve",
    "same_day_input",
)
# Every next-step code the assessor (or the policy's active_status.next_steps) may give.
NEXT_STEPS = (
    "check_number", "kankemenag", "pelimpahan", "pembatalan_kankemenag", "follow_kankemenag",
    "wait_for_allocation", "estimate_moves", "health_exam_tahap2", "bring_exam_proof",
    "reexamination", "pay_after_update", "pay_at_bank", "bring_porsi_number",
    "meningitis_vaccine",
)
# Verdicts that reveal health or personal facts (age, istithaah): only a verified chat sees
# them. not_found, inactive (status_jemaah) and already_paid (status_bayar) are what the public
# status check already shows.
PERSONAL_VERDICTS = frozenset({"blocked_age", "needs_health_exam", "blocked_istithaah", "may_pay"})
TAHAP_NAMES = {Tahap.I: "I", Tahap.II: "II"}


@dataclass(frozen=True, slots=True)
class Assessment:
    porsi: str | None
    verdict: str
    tahap: str | None  # "I" | "II" | None
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    next_steps: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # keys of policy["sources"]
    policy_version: str = ""
    season_hijri: int | None = None
    season_masehi: int | None = None
    window: Window | None = None  # the schedule of this pilgrim's tahap
    schedule_placeholder: bool = True  # the window dates are operator configuration
    estimate: Estimate | None = None  # for not_in_quota_yet (the reading's estimate)
    status: str | None = None  # status_jemaah code for inactive
    extras: dict[str, Any] = field(default_factory=dict)
    reading: Reading | None = None  # the one reading of the record every screen shares

    @property
    def personal(self) -> bool:
        return self.verdict in PERSONAL_VERDICTS

    def to_dict(self) -> dict[str, Any]:
        return {
            "porsi": self.porsi,
            "verdict": self.verdict,
            "tahap": self.tahap,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "next_steps": list(self.next_steps),
            "sources": list(self.sources),
            "policy_version": self.policy_version,
            "season_hijri": self.season_hijri,
            "season_masehi": self.season_masehi,
            "window": None if self.window is None else {
                "tahap": self.window.tahap,
                "opens": self.window.opens.isoformat(),
                "closes": self.window.closes.isoformat(),
                "state": self.window.state,
                "days_left": self.window.days_left,
            },
            "reading": None if self.reading is None else self.reading.to_dict(),
            "estimate": None if self.estimate is None else {
                "season_hijri": self.estimate.season_hijri,
                "year_masehi": self.estimate.year_masehi,
                "seasons_to_go": self.estimate.seasons_to_go,
                "computed": self.estimate.computed,
            },
            "status": self.status,
        }


# --- policy access ----------------------------------------------------------------------------


def _rule(policy: dict, name: str) -> dict:
    return (policy.get("rules") or {}).get(name) or {}


def _sources_of(policy: dict, *rule_names: str) -> list[str]:
    out: list[str] = []
    for name in rule_names:
        src = _rule(policy, name).get("source")
        for key in src if isinstance(src, list) else [src] if src else []:
            if key not in out:
                out.append(key)
    return out


def _inactive_sources(policy: dict, code: str) -> tuple[str, ...]:
    """Sources of the inactive verdict for status `code`: its own (`active_status.by_status`),
    else the rule's."""
    spec = (_rule(policy, "active_status").get("by_status") or {}).get(code) or {}
    src = spec.get("source")
    if src:
        return tuple(src if isinstance(src, list) else [src])
    return tuple(_sources_of(policy, "active_status"))


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_reference_day(policy: dict, today: date) -> date:
    """The day the age rule is measured on: the season's first departure, else 10 Dzulhijjah.

    Never earlier than today (a departure date in the past means the rule is about now).
    """
    schedule = policy.get("schedule") or {}
    day = as_date(schedule.get("first_departure"))
    if day is None:
        day = est.season_day(int(policy["season"]["hijri"]))
    return max(day, today)


# --- the assessor -----------------------------------------------------------------------------


# The policy rule each warning rests on (its `source` is cited beside the verdict's).
WARNING_RULES = {
    "no_meningitis_vaccine": "meningitis_vaccine",
    "not_fit_to_fly": "fit_to_fly",
    "multiple_porsi": "multiple_porsi",
    "temporary_istithaah": "istithaah",
    "with_companion": "istithaah",
    "companion_of_elderly": "companion_of_elderly",
    "failed_payment": "tahap_groups",
    "deferred_payoff": "tahap_groups",
    "reserve": "tahap_groups",
    "same_day_input": "same_day_input",
}


def assess_pelunasan(record: PilgrimRecord | None, policy: dict, today: date) -> Assessment:
    """The verdict for `record` under `policy` on `today` (see `VERDICTS` for the order).

    `sources` lists the policy's source keys behind the verdict and every warning.
    """
    reading = read_record(record, today, policy) if record is not None else None
    a = replace(_assess(record, reading, policy, today), reading=reading)
    sources = list(a.sources)
    for w in a.warnings:
        rule = WARNING_RULES.get(w)
        extra = _sources_of(policy, rule) if rule else []
        if w == "outside_schedule":
            src = (policy.get("schedule") or {}).get("source")
            extra = src if isinstance(src, list) else [src] if src else []
        sources += [k for k in extra if k not in sources]
    return replace(a, sources=tuple(sources))


def _assess(record: PilgrimRecord | None, reading: Reading | None, policy: dict,
            today: date) -> Assessment:
    season = policy.get("season") or {}
    base = {
        "policy_version": str(policy.get("version", "")),
        "season_hijri": season.get("hijri"),
        "season_masehi": season.get("masehi"),
        "schedule_placeholder": bool((policy.get("schedule") or {}).get("placeholder", False)),
    }
    if record is None:
        return Assessment(porsi=None, verdict="not_found", tahap=None,
                          reasons=("porsi_not_found",),
                          next_steps=("check_number", "kankemenag"),
                          sources=("siskohat",), **base)

    warnings = _warnings(record, policy)
    status = record.identity.status
    allowed = set(_rule(policy, "active_status").get("allowed", ["AKTIF"]))

    # 1. inactive
    if status is None or status is PilgrimStatus.UNKNOWN or status.value not in allowed:
        code = "UNKNOWN" if status is None or status is PilgrimStatus.UNKNOWN else status.value
        steps_by_status = _rule(policy, "active_status").get("next_steps") or {}
        steps = tuple(steps_by_status.get(code) or ("kankemenag",))
        reason = "status_unknown" if code == "UNKNOWN" else f"status_{code.lower().replace(' ', '_')}"
        keep = tuple(w for w in warnings if w in ("multiple_porsi",))
        return Assessment(porsi=record.porsi, verdict="inactive", tahap=None, reasons=(reason,),
                          warnings=keep, next_steps=steps,
                          sources=_inactive_sources(policy, code), status=code, **base)

    tahap = reading.tahap
    window = reading.window

    # 2. already paid
    paid_codes = set(_rule(policy, "already_paid").get("statuses", ["LUNAS"]))
    payment = _payment_status(record)
    if payment is not None and payment.value in paid_codes:
        return Assessment(porsi=record.porsi, verdict="already_paid", tahap=tahap,
                          reasons=("status_lunas",), warnings=_drop(warnings, "same_day_input"),
                          next_steps=("follow_kankemenag",),
                          sources=tuple(_sources_of(policy, "already_paid")), **base)

    # 3. not in this season's allocation (cadangan is allocated, as cadangan)
    if not reading.allocated:
        reason = "no_allocation" if reading.allocation == "none" else (
            "other_season" if record.payoff.season_hijri != season.get("hijri") else "no_tahap")
        return Assessment(porsi=record.porsi, verdict="not_in_quota_yet", tahap=None,
                          reasons=(reason,), warnings=_drop(warnings, "same_day_input"),
                          next_steps=("wait_for_allocation", "estimate_moves"),
                          sources=tuple(_sources_of(policy, "quota_allocation")),
                          estimate=reading.estimate, **base)

    # 3b. this porsi's window has closed: never "may pay". Seed 000 puts pilgrims whose payment
    # process failed in Tahap II, but says nothing on who decides that: the office does.
    if window is not None and window.state == "after":
        nxt = reading.other_window
        later = nxt is not None and nxt.tahap == "II" and nxt.state != "after"
        return Assessment(porsi=record.porsi, verdict="window_closed", tahap=tahap,
                          reasons=("tahap_closed_tahap2_left" if later else "season_closed",),
                          warnings=_drop(warnings, "same_day_input"),
                          next_steps=(("ask_tahap2", "helpdesk") if later
                                      else ("kankemenag", "helpdesk")),
                          window=window, sources=tuple(_sources_of(policy, "tahap_groups"))
                          + _schedule_sources(policy), extras={"next_window": nxt} if later
                          else {}, **base)

    # 4. age: at least N years old or married
    age_rule = _rule(policy, "minimum_age")
    birth = record.identity.birth_date
    if birth is not None and age_rule:
        married_codes = set(age_rule.get("married_statuses", ["KAWIN"]))
        married = (record.identity.marital_status is not None
                   and record.identity.marital_status is not MaritalStatus.UNKNOWN
                   and record.identity.marital_status.value in married_codes)
        old_enough = age_on(birth, age_reference_day(policy, today)) >= int(age_rule.get("years", 18))
        if not old_enough and not (married and age_rule.get("or_married", True)):
            return Assessment(porsi=record.porsi, verdict="blocked_age", tahap=tahap,
                              reasons=("under_minimum_age",), warnings=warnings,
                              next_steps=("kankemenag",), window=window,
                              sources=tuple(_sources_of(policy, "minimum_age")), **base)

    # 5./6. istithaah
    ist_rule = _rule(policy, "istithaah")
    ist = record.health.istithaah
    ist_code = ist.value if ist is not None and ist is not Istithaah.UNKNOWN else None
    ist_sources = tuple(_sources_of(policy, "istithaah"))
    if ist_code is None or ist_code in ist_rule.get("needs_exam", ["BELUM DIPERIKSA"]):
        if ist is Istithaah.UNKNOWN:
            reason = "istithaah_unknown"
        elif ist is None:
            reason = "istithaah_missing"
        else:
            reason = "not_examined"
        return Assessment(porsi=record.porsi, verdict="needs_health_exam", tahap=tahap,
                          reasons=(reason,), warnings=_add(warnings, "same_day_input"),
                          next_steps=("health_exam_tahap2", "bring_exam_proof"),
                          window=window, sources=ist_sources,
                          **base)
    if ist_code in ist_rule.get("blocking", []):
        temporary = ist_code in ist_rule.get("temporary", [])
        return Assessment(porsi=record.porsi, verdict="blocked_istithaah", tahap=tahap,
                          reasons=("tidak_istithaah_sementara" if temporary else "tidak_istithaah",),
                          warnings=_add(warnings, "same_day_input") if temporary else warnings,
                          next_steps=(("reexamination", "pay_after_update") if temporary
                                      else ("kankemenag",)),
                          window=window, sources=ist_sources, **base)

    # 7. may pay (before its window opens: when it opens; open: until when)
    if window is not None and window.state == "before":
        warnings = _add(warnings, "outside_schedule")
    steps = ["pay_at_bank"]
    if "multiple_porsi" in warnings:
        steps.append("bring_porsi_number")
    if "no_meningitis_vaccine" in warnings:
        steps.append("meningitis_vaccine")
    return Assessment(porsi=record.porsi, verdict="may_pay", tahap=tahap, reasons=(f"tahap_{tahap}",),
                      warnings=warnings, next_steps=tuple(steps), window=window,
                      sources=tuple(_sources_of(policy, "quota_allocation", "tahap_groups",
                                                "istithaah")), **base)


def _payment_status(record: PilgrimRecord) -> PaymentStatus | None:
    value = payment_status(record)
    return None if value is PaymentStatus.UNKNOWN else value


def _schedule_sources(policy: dict) -> tuple[str, ...]:
    src = (policy.get("schedule") or {}).get("source")
    return tuple(src if isinstance(src, list) else [src] if src else [])


def _warnings(record: PilgrimRecord, policy: dict) -> tuple[str, ...]:
    out: list[str] = []
    health = record.health
    ist_rule = _rule(policy, "istithaah")
    ist = health.istithaah.value if health.istithaah not in (None, Istithaah.UNKNOWN) else None
    if health.meningitis_vaccinated is False:
        out.append("no_meningitis_vaccine")
    if health.fit_to_fly is False:
        out.append("not_fit_to_fly")
    if record.history.related_porsi:
        out.append("multiple_porsi")
    if ist in ist_rule.get("temporary", []):
        out.append("temporary_istithaah")
    if ist in ist_rule.get("with_companion", []):
        out.append("with_companion")
    if record.history.priority is Priority.PENDAMPING_LANSIA:
        out.append("companion_of_elderly")
    statuses = {record.payoff.status, record.waiting.payment_status}
    if PaymentStatus.GAGAL_BAYAR in statuses:
        out.append("failed_payment")
    if PaymentStatus.LUNAS_TUNDA in statuses:
        out.append("deferred_payoff")
    if record.payoff.reserve or record.history.priority is Priority.CADANGAN:
        out.append("reserve")
    return tuple(out)


def _add(warnings: tuple[str, ...], code: str) -> tuple[str, ...]:
    return warnings if code in warnings else (*warnings, code)


def _drop(warnings: tuple[str, ...], code: str) -> tuple[str, ...]:
    return tuple(w for w in warnings if w != code)


# --- the public level -------------------------------------------------------------------------


def public_view(record: PilgrimRecord | None, policy: dict, today: date
                ) -> dict[str, Any] | None:
    """What the public status lookup already shows, plus whether the porsi is in this season's
    allocation (cadangan included, as cadangan) and the state of its window: no health, age,
    phone or amounts."""
    if record is None:
        return None
    season = policy.get("season") or {}
    w = record.waiting
    reading = read_record(record, today, policy)
    payment = _payment_status(record)
    e = None if reading.allocated else reading.estimate
    status = record.identity.status
    win = reading.window
    # health and financial statuses are not public (UU 27/2022): "a special status applies"
    if status in SENSITIVE_STATUSES:
        status_code = RESTRICTED
    else:
        status_code = (None if status is None else "UNKNOWN" if status is PilgrimStatus.UNKNOWN
                       else status.value)
    if payment in SENSITIVE_PAYMENTS:
        payment = None
        payment_code = RESTRICTED
    else:
        payment_code = payment.value if payment is not None else None
    return {
        "porsi": record.porsi,
        "status": status_code,
        "name": mask_name(record.identity.name) or None,
        "regency": w.regency,
        "province": w.province,
        "position": w.position,
        "quota": w.quota,
        "payment_status": payment_code,
        "allocated": reading.allocated,
        "reserve": reading.reserve,
        "tahap": reading.tahap,
        "window": None if win is None else {
            "tahap": win.tahap, "opens": win.opens, "closes": win.closes, "state": win.state,
            "days_left": win.days_left},
        "schedule_placeholder": reading.schedule_placeholder,
        # beside placeholder dates: the last season whose dates were announced, as such
        "last_published": (policy.get("schedule") or {}).get("last_published")
        if reading.schedule_placeholder else None,
        "season_hijri": season.get("hijri"),
        "season_masehi": season.get("masehi"),
        "estimate": None if e is None else {
            "season_hijri": e.season_hijri, "year_masehi": e.year_masehi,
            "seasons_to_go": e.seasons_to_go, "computed": e.computed,
        },
    }

"""Pelimpahan nomor porsi: may this porsi pass to this family member, and what must they bring.

Pure: `assess_pelimpahan(case, policy) -> Result` reads every parameter (causes, relations, the
29 April 2019 cut-off, the minimum age, documents, procedure) from the versioned policy file
`knowledge/policy/pelimpahan_<version>.yaml` (DOMAIN.md, "Pelimpahan nomor porsi"), so a newer
regulation is a data change. `case_from_dict` validates outside input (CLI JSON, wizard state)
and names the field it cannot accept.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.dates import DateInputError, age_on, parse_user_date
from knowledge.kinship import parse_kinship, question_view
from knowledge.policy_loader import load_policy as _load
from knowledge.reading import pelimpahan_state
from knowledge.records import PilgrimRecord

POLICY_NAME = "pelimpahan"

# Blocking reasons and warnings, in the order they are explained.
REASONS = (
    "cause_not_allowed",
    "died_before_cutoff",
    "after_departure",
    "porsi_cancelled",
    "relation_not_allowed",
    "recipient_under_12",
    "already_transferred",
)
WARNINGS = ("return_living_cost", "other_porsi_cancelled", "departure_needs_18_or_married",
            "later_rule_differs")


def load_policy(version: str | None = None, directory: Path | str | None = None) -> dict:
    """The pelimpahan policy (newest file unless `version` is given)."""
    return _load(POLICY_NAME, version=version, directory=directory)


# --- relations --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relation:
    text: str  # what the person typed (or the key)
    key: str | None  # allowed relation key, None when refused, unknown or still to be asked
    # "allowed" | "not_allowed" (a word the law excludes) | "ambiguous" (ask `question`) |
    # "unknown"
    status: str
    question: str | None = None  # policy relations.ambiguous code when ambiguous
    options: tuple[str, ...] = ()  # the question's option phrases
    matched: str = ""  # the word or phrase that decided it (knowledge.kinship)


def resolve_relation(text: str | None, policy: dict) -> Relation:
    """Map what the person typed to a relation of the policy (knowledge.kinship reads it)."""
    raw = (text or "").strip()
    found = parse_kinship(raw, policy)
    return Relation(raw, found.key, found.status, found.question, found.options, found.matched)


def relation_questions(relation: Relation, policy: dict, lang: str = "id") -> list[dict]:
    """What to ask before the relation can be judged (empty unless it is ambiguous)."""
    if relation.status != "ambiguous" or not relation.question:
        return []
    return [question_view(relation.question, policy, lang)]


def relation_label(key: str, policy: dict, lang: str = "id") -> str:
    spec = policy["relations"]["allowed"].get(key, {})
    return spec.get(lang) or spec.get("id") or key.replace("_", " ")


# --- the case ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    cause: str
    event_date: date  # wafat: date of death; sakit_permanen: date of the hospital letter
    before_departure: bool
    relation: str  # an allowed key or the person's own word
    recipient_birth_date: date
    submission_date: date
    porsi: str | None = None
    already_transferred: bool | None = None  # from the mirror: asal_pelimpahan Y / DILIMPAHKAN
    received_living_cost: bool | None = None
    porsi_count: int | None = None  # this porsi plus porsi_terkait
    regency: str | None = None  # kab/kota where the pilgrim registered (mirror)
    cancelled: bool | None = None  # from the record: status BATAL
    departed_on_record: bool | None = None  # from the record: status BERANGKAT
    answered_before_departure: bool | None = None  # the person's own answer, kept beside it
    transferred_in: bool | None = None  # from the record: this porsi came by pelimpahan


class CaseError(ValueError):
    """A case that cannot be assessed; `field` names the input, `reason` says what is wrong."""

    def __init__(self, field_name: str, reason: str, detail: str = ""):
        self.field = field_name
        self.reason = reason
        self.detail = detail
        super().__init__(f"{field_name}: {reason}" + (f" ({detail})" if detail else ""))


_PORSI = re.compile(r"^\d{10}$")


def known_causes(policy: dict) -> tuple[str, ...]:
    causes = policy["causes"]
    return tuple(causes["allowed"]) + tuple(causes.get("not_allowed", []))


def case_from_dict(data: Any, today: date, policy: dict) -> Case:
    """Validate outside input; dates in any `parse_user_date` format, `submission_date` today
    when absent (it may be a planned later day: the age rule counts on the submission day)."""
    if not isinstance(data, dict):
        raise CaseError("case", "not_an_object")

    def present(name: str) -> bool:
        return data.get(name) not in (None, "")

    # Fields are checked in a fixed order, so the first problem named is the first field.
    if not present("cause"):
        raise CaseError("cause", "missing")
    cause = data["cause"]
    if not isinstance(cause, str) or cause.strip().lower() not in known_causes(policy):
        raise CaseError("cause", "unknown", f"one of {', '.join(known_causes(policy))}")
    submission = (
        _date(data, "submission_date", today, allow_future=True)
        if present("submission_date") else today
    )
    if not present("event_date"):
        raise CaseError("event_date", "missing")
    event = _date(data, "event_date", today)
    if event > submission:
        raise CaseError("event_date", "after_submission")
    before_departure = _bool(data, "before_departure", required=True)
    if not present("relation"):
        raise CaseError("relation", "missing")
    relation = data["relation"]
    if not isinstance(relation, str):
        raise CaseError("relation", "not_text")
    if not relation.strip():
        raise CaseError("relation", "missing")
    if not present("recipient_birth_date"):
        raise CaseError("recipient_birth_date", "missing")
    birth = _date(data, "recipient_birth_date", today)
    porsi = data.get("porsi")
    if present("porsi"):
        porsi = str(porsi).strip()
        if not _PORSI.match(porsi):
            raise CaseError("porsi", "not_10_digits")
    else:
        porsi = None
    count = data.get("porsi_count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise CaseError("porsi_count", "not_a_positive_integer")
    regency = data.get("regency")
    return Case(
        cause=cause.strip().lower(),
        event_date=event,
        before_departure=before_departure,
        relation=relation.strip(),
        recipient_birth_date=birth,
        submission_date=submission,
        porsi=porsi,
        already_transferred=_bool(data, "already_transferred"),
        received_living_cost=_bool(data, "received_living_cost"),
        porsi_count=count,
        regency=str(regency).strip() if regency not in (None, "") else None,
    )


def _date(data: dict, name: str, today: date, allow_future: bool = False) -> date:
    value = data.get(name)
    if isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        raise CaseError(name, "unparseable")
    try:
        # A planned submission day may lie ahead; no other date of the case can.
        return parse_user_date(text, date.max if allow_future else today)
    except DateInputError as exc:
        raise CaseError(name, exc.reason, text) from exc


def _bool(data: dict, name: str, required: bool = False) -> bool | None:
    value = data.get(name)
    if value is None:
        if required:
            raise CaseError(name, "missing")
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "ya", "y", "yes", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "tidak", "n", "no", "0"):
        return False
    raise CaseError(name, "not_a_boolean")


# --- the result -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    source: tuple[str, ...]  # keys of policy["sources"]
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Document:
    key: str
    mark: str  # asli | salinan | tunjukkan_asli
    text_id: str
    text_en: str
    alternative: str | None = None  # documents sharing this group are alternatives
    label_id: str = ""  # short name for a button
    label_en: str = ""

    def text(self, lang: str) -> str:
        return self.text_en if lang == "en" else self.text_id

    def label(self, lang: str) -> str:
        short = self.label_en if lang == "en" else self.label_id
        return short or self.text(lang)


@dataclass(frozen=True, slots=True)
class Result:
    # None: nothing refuses the case, but a question must be answered first (`questions`)
    eligible: bool | None
    reasons: tuple[Finding, ...]
    warnings: tuple[Finding, ...]
    documents: tuple[Document, ...]
    steps: tuple[dict, ...]  # {"id": ..., "en": ...}
    office: str | None  # "Kankemenag <kab/kota>" when known, else None (use office_rule)
    office_rule: dict  # {"id": ..., "en": ...}: the generic rule
    relation: Relation
    recipient_age: int | None  # None: the wizard stopped before the birth date was asked
    policy_version: str
    cause: str
    # False when nobody said whether the porsi was transferred before (no verified record,
    # no answer): the texts then state the once-only and more-than-one-porsi rules instead.
    transfers_checked: bool = True
    # What to ask before a verdict: codes of the policy's relations.ambiguous questions
    # (an ambiguous relation word); result_to_dict gives their texts and options.
    questions: tuple[str, ...] = ()

    def codes(self) -> list[str]:
        return [f.code for f in self.reasons]

    def office_text(self, lang: str = "id") -> str:
        return self.office or self.office_rule.get(lang) or self.office_rule["id"]


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One thing to bring: a document, or a group of alternatives (either one satisfies it)."""

    key: str  # the document's key, or the alternatives group's name
    documents: tuple[Document, ...]
    label_id: str = ""
    label_en: str = ""

    @property
    def alternative(self) -> bool:
        return len(self.documents) > 1

    def label(self, lang: str) -> str:
        short = self.label_en if lang == "en" else self.label_id
        return short or self.documents[0].label(lang)

    def keys(self) -> frozenset[str]:
        """Keys a saved tick may use (the group's, or any member's from an older checklist)."""
        return frozenset({self.key, *(d.key for d in self.documents)})


def checklist_items(documents: tuple[Document, ...], policy: dict) -> tuple[ChecklistItem, ...]:
    """The documents as checklist items: documents of one `alternative` group become one item.

    The group's short label comes from `documents.alternatives.<group>` in the policy.
    """
    groups = policy["documents"].get("alternatives") or {}
    items: list[ChecklistItem] = []
    at: dict[str, int] = {}
    for d in documents:
        if d.alternative and d.alternative in at:
            i = at[d.alternative]
            items[i] = replace(items[i], documents=(*items[i].documents, d))
        elif d.alternative:
            g = groups.get(d.alternative) or {}
            at[d.alternative] = len(items)
            items.append(ChecklistItem(d.alternative, (d,), g.get("label_id", ""),
                                       g.get("label_en", "")))
        else:
            items.append(ChecklistItem(d.key, (d,)))
    return tuple(items)


def documents_for(cause: str, policy: dict) -> tuple[Document, ...]:
    items = policy["documents"]["by_cause"].get(cause, [])
    return tuple(
        Document(d["key"], d["mark"], d["id"], d.get("en", d["id"]), d.get("alternative"),
                 d.get("label_id", ""), d.get("label_en", ""))
        for d in items
    )


# The answers each blocking reason needs: once they are given, that reason is decided whatever
# the remaining answers are (Case field names).
REASON_NEEDS = {
    "cause_not_allowed": ("cause",),
    "died_before_cutoff": ("cause", "event_date"),
    "after_departure": ("before_departure",),
    "porsi_cancelled": ("cancelled",),
    "relation_not_allowed": ("relation",),
    "recipient_under_12": ("recipient_birth_date", "submission_date"),
    "already_transferred": ("already_transferred",),
}
# Case fields without which a full assessment cannot be made.
REQUIRED_FIELDS = ("cause", "event_date", "before_departure", "relation",
                   "recipient_birth_date", "submission_date")


def _src(policy: dict, section: str) -> tuple[str, ...]:
    return tuple(policy[section].get("source", ()))


def _reason(code: str, f: dict, policy: dict) -> Finding | None:
    """Finding `code` when it applies to the case fields `f` (all of REASON_NEEDS[code] given)."""
    if code == "cause_not_allowed" and f["cause"] not in policy["causes"]["allowed"]:
        return Finding(code, _src(policy, "causes"), {"cause": f["cause"]})
    if code == "died_before_cutoff":
        cutoff = policy["cutoff"]
        cutoff_date = _as_date(cutoff["date"])
        if f["cause"] in cutoff.get("applies_to", []) and f["event_date"] < cutoff_date:
            return Finding(code, _src(policy, "cutoff"), {
                "cutoff": cutoff_date.isoformat(), "event_date": f["event_date"].isoformat()})
    if (code == "after_departure" and policy["before_departure"].get("required", True)
            and not f["before_departure"]):
        return Finding(code, _src(policy, "before_departure"),
                       {"from_record": bool(f.get("departed_on_record")),
                        # the record wins over the answer, and the reply says so
                        "contradicted": bool(f.get("departed_on_record"))
                        and f.get("answered_before_departure") is True})
    if code == "porsi_cancelled" and f["cancelled"]:
        return Finding(code, ("siskohat_status",) if "siskohat_status" in policy["sources"]
                       else _src(policy, "causes"))
    if code == "relation_not_allowed":
        relation = resolve_relation(f["relation"], policy)
        # an ambiguous word is asked about, never refused
        if relation.key is None and relation.status != "ambiguous":
            return Finding(code, _src(policy, "relations"), {"status": relation.status,
                                                             "matched": relation.matched})
    if code == "recipient_under_12":
        age = age_on(f["recipient_birth_date"], f["submission_date"])
        min_age = int(policy["recipient"]["min_age_at_submission"])
        if age < min_age:
            return Finding(code, _src(policy, "recipient"), {
                "age": age, "min_age": min_age,
                "from_date": _add_years(f["recipient_birth_date"], min_age).isoformat()})
    if code == "already_transferred" and f["already_transferred"]:
        return Finding(code, _src(policy, "transfers"), {
            "allowed": int(policy["transfers"]["allowed_per_porsi"]),
            "transferred_in": bool(f.get("transferred_in"))})
    return None


def decided_reasons(fields: dict, policy: dict) -> tuple[Finding, ...]:
    """Blocking reasons the answers given so far already decide (`fields`: Case field names,
    missing or None = not answered yet). Non-empty means the case is ineligible whatever comes
    next, so a guide can give the verdict now instead of asking the remaining questions."""
    out = []
    for code in REASONS:
        if all(fields.get(n) is not None for n in REASON_NEEDS[code]):
            found = _reason(code, fields, policy)
            if found is not None:
                out.append(found)
    return tuple(out)


def is_complete(fields: dict) -> bool:
    return all(fields.get(n) is not None for n in REQUIRED_FIELDS)


def assess_answers(fields: dict, policy: dict) -> Result:
    """The verdict for answers so far: the full assessment when every required field is given,
    else a refusal with the reasons already decided (see `decided_reasons`)."""
    if is_complete(fields):
        names = set(Case.__dataclass_fields__)
        return assess_pelimpahan(Case(**{k: v for k, v in fields.items() if k in names}), policy)
    relation = (resolve_relation(fields["relation"], policy) if fields.get("relation")
                else Relation("", None, "unknown"))
    birth, day = fields.get("recipient_birth_date"), fields.get("submission_date")
    office_spec = policy["office"]
    regency = fields.get("regency")
    decided = decided_reasons(fields, policy)
    return Result(
        eligible=False,
        reasons=decided,
        warnings=tuple(later_rule_differences(fields.get("cause") or "", relation, decided,
                                              policy)),
        documents=documents_for(fields.get("cause") or "", policy),
        steps=tuple(policy["procedure"]["steps"]),
        office=f"{office_spec.get('prefix', 'Kankemenag')} {regency}" if regency else None,
        office_rule={"id": office_spec["rule_id"], "en": office_spec["rule_en"]},
        relation=relation,
        recipient_age=age_on(birth, day) if birth and day else None,
        policy_version=str(policy["version"]),
        cause=fields.get("cause") or "",
        transfers_checked=(fields.get("already_transferred") is not None
                           and fields.get("porsi_count") is not None),
    )


def assess_pelimpahan(case: Case, policy: dict) -> Result:
    """Every blocking reason that applies (not only the first), plus warnings and the file."""
    fields = {name: getattr(case, name) for name in Case.__dataclass_fields__}
    reasons = [f for code in REASONS
               if all(fields.get(n) is not None for n in REASON_NEEDS[code])
               and (f := _reason(code, fields, policy)) is not None]
    warnings: list[Finding] = []
    relation = resolve_relation(case.relation, policy)
    recipient = policy["recipient"]
    age = age_on(case.recipient_birth_date, case.submission_date)

    living = policy["living_cost"]
    if case.received_living_cost and case.cause in living.get("applies_to", []):
        warnings.append(Finding("return_living_cost", _src(policy, "living_cost")))
    if case.porsi_count is not None and case.porsi_count > 1:
        warnings.append(Finding("other_porsi_cancelled", _src(policy, "transfers"),
                                {"porsi_count": case.porsi_count}))
    departure_age = int(recipient["departure_min_age"])
    if age < departure_age:
        warnings.append(Finding("departure_needs_18_or_married", _src(policy, "recipient"), {
            "age": age, "departure_min_age": departure_age}))

    warnings += later_rule_differences(case.cause, relation, reasons, policy)

    office_spec = policy["office"]
    office = f"{office_spec.get('prefix', 'Kankemenag')} {case.regency}" if case.regency else None
    questions = ((relation.question,) if relation.status == "ambiguous" and relation.question
                 else ())
    return Result(
        eligible=False if reasons else (None if questions else True),
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        documents=documents_for(case.cause, policy),
        steps=tuple(policy["procedure"]["steps"]),
        office=office,
        office_rule={"id": office_spec["rule_id"], "en": office_spec["rule_en"]},
        relation=relation,
        recipient_age=age,
        policy_version=str(policy["version"]),
        cause=case.cause,
        transfers_checked=(case.already_transferred is not None
                           and case.porsi_count is not None),
        questions=questions,
    )


def later_rule_differences(cause: str, relation: Relation, reasons, policy: dict
                           ) -> list[Finding]:
    """Where this case is refused by the policy but the later regulation (`later_rule`) would
    allow it: one finding naming the difference, so the verdict says both rules."""
    later = policy.get("later_rule") or {}
    if not later:
        return []
    codes = {f.code for f in reasons}
    out = []
    src = tuple(later.get("source", ()))
    checked = str(later.get("checked", ""))
    if "cause_not_allowed" in codes and cause in later.get("causes_added", []):
        out.append(Finding("later_rule_differs", src,
                           {"what": "cause", "cause": cause, "checked": checked}))
    matched = (relation.matched or relation.text or "").lower()
    if ("relation_not_allowed" in codes and relation.status == "not_allowed"
            and any(w in matched.split() or w == matched
                    for w in later.get("relation_words_added", []))):
        out.append(Finding("later_rule_differs", src,
                           {"what": "relation", "relation": relation.text, "checked": checked}))
    return out


def source_titles(codes: tuple[str, ...] | list[str], policy: dict, lang: str = "id",
                  short: bool = False) -> list[str]:
    """Titles of the cited sources in `lang` (`short`: the compact form for chat replies)."""
    out = []
    for key in codes:
        spec = policy["sources"].get(key, key)
        if not isinstance(spec, dict):
            out.append(str(spec))
            continue
        names = ([f"short_{lang}", "short_id"] if short else []) + [lang, "id"]
        out.append(next((spec[n] for n in names if spec.get(n)), key))
    return out


def result_to_dict(result: Result, policy: dict, lang: str = "id") -> dict:
    """Plain JSON-able view (for `hajibot assess pelimpahan`); texts in `lang`."""

    def finding(f: Finding) -> dict:
        return {"code": f.code, "detail": f.detail,
                "source": source_titles(f.source, policy, lang)}

    return {
        "eligible": result.eligible,
        "reasons": result.codes(),
        "warnings": [f.code for f in result.warnings],
        "details": [finding(f) for f in (*result.reasons, *result.warnings)],
        "relation": asdict(result.relation),
        "questions": [question_view(code, policy, lang) for code in result.questions],
        "recipient_age": result.recipient_age,
        "documents": [
            {"key": d.key, "mark": d.mark, "text": d.text(lang), "alternative": d.alternative}
            for d in result.documents
        ],
        "steps": [s.get(lang) or s["id"] for s in result.steps],
        "office": result.office_text(lang),
        "policy_version": result.policy_version,
    }


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February -> 1 March, as age_on counts it
        return date(d.year + years, 3, 1)


# --- what the mirror knows --------------------------------------------------------------------

def facts_from_record(record: PilgrimRecord | None, *, public_only: bool = False) -> dict:
    """Case fields a pilgrim record can fill, never identity; the record wins over answers.

    Always (the public level too): the kab/kota, and what decides whether the porsi can pass
    at all (knowledge.reading, one reading for every screen): departed, cancelled, or itself
    received by pelimpahan, so no stranger is told "can be transferred" for such a porsi.
    Related porsi are read only for a chat verified for this porsi, and the operator's CLI."""
    if record is None:
        return {}
    facts: dict[str, Any] = {}
    if record.waiting.regency:
        facts["regency"] = record.waiting.regency
    state = pelimpahan_state(record.identity.status, record.history.transferred_in)
    facts["record_state"] = state
    if state == "departed":
        facts["before_departure"] = False
        facts["departed_on_record"] = True
    if state == "cancelled":
        facts["cancelled"] = True
    if state in ("transferred_in", "already_transferred"):
        facts["already_transferred"] = True
        facts["transferred_in"] = state == "transferred_in"
    elif record.history.transferred_in is False:
        facts["already_transferred"] = False
    if record.identity.status is not None:
        facts["status"] = record.identity.status.value
    if not public_only:
        history = record.history
        facts["porsi_count"] = 1 + len(set(history.related_porsi) - {record.porsi})
    return facts


def merge_facts(case: Case, facts: dict) -> Case:
    """The person's answers plus the record: a flag either side raises stays raised."""
    return replace(
        case,
        already_transferred=bool(case.already_transferred or facts.get("already_transferred"))
        if ("already_transferred" in facts or case.already_transferred is not None) else None,
        porsi_count=max(case.porsi_count or 1, facts.get("porsi_count") or 1)
        if ("porsi_count" in facts or case.porsi_count is not None) else None,
        regency=case.regency or facts.get("regency"),
        before_departure=False if facts.get("before_departure") is False
        else case.before_departure,
        departed_on_record=facts.get("departed_on_record") or case.departed_on_record,
        answered_before_departure=case.before_departure,
        cancelled=facts.get("cancelled") or case.cancelled,
        transferred_in=facts.get("transferred_in") or case.transferred_in,
    )


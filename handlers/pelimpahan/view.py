"""Pelimpahan texts: the verdict, checklist and letters rendered from templates.

No telegram import, so the chat handler, the DOCX builder and `hajibot assess pelimpahan` share
one wording. Every sentence lives in `handlers/templates/{id,en}/pelimpahan_*.j2`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from handlers.base import html_to_plain, render
from knowledge.pelimpahan import (
    ChecklistItem,
    Result,
    checklist_items,
    relation_label,
    source_titles,
)

MARK_SYMBOL = {True: "☑", False: "☐"}


def fmt_date(value: date | str | None, lang: str) -> str:
    """A date (or ISO string) as "17 Agustus 1990" / "17 August 1990"; "" for none."""
    if value in (None, ""):
        return ""
    d = value if isinstance(value, date) else date.fromisoformat(str(value))
    return render(lang, "common_date.j2", d=d)  # the chat texts' own `tanggal` macro


def verdict_context(result: Result, policy: dict, lang: str, *, with_office: bool = True,
                    with_documents: bool = True) -> dict[str, Any]:
    """Plain values for pelimpahan_verdict.j2 (dates already formatted in `lang`).

    `with_office=False` / `with_documents=False` leave out the office line / the document
    list, for texts that show them elsewhere (the one-page summary has its own "Tempat
    pengajuan" field and its own ticked document list).
    """

    def finding(f) -> dict:
        detail = dict(f.detail)
        for key in ("cutoff", "event_date", "from_date"):
            if key in detail:
                detail[key] = fmt_date(detail[key], lang)
        return {"code": f.code, "detail": detail,
                "sources": source_titles(f.source, policy, lang, short=True)}

    allowed = [relation_label(k, policy, lang) for k in policy["relations"]["allowed"]]
    # nobody could say whether the porsi was transferred before (no verified record): the
    # once-only and more-than-one-porsi rules are stated instead of checked
    transfer_rule = ({"sources": source_titles(policy["transfers"].get("source", ()), policy,
                                               lang, short=True)}
                     if result.eligible and not result.transfers_checked else None)
    codes = result.codes()
    # an under-12 refusal already names the departure age; the warning would say it again
    warnings = [w for w in result.warnings
                if not (w.code == "departure_needs_18_or_married" and "recipient_under_12" in codes)]
    return {
        "transfer_rule": transfer_rule,
        "eligible": result.eligible,
        "cause": result.cause,
        "reasons": [finding(f) for f in result.reasons],
        "warnings": [finding(f) for f in warnings],
        "relation_text": result.relation.text,
        "relation_label": relation_label(result.relation.key, policy, lang)
        if result.relation.key else "",
        "relation_mapped": bool(result.relation.key)
        and result.relation.text != result.relation.key,
        "allowed_relations": allowed,
        "recipient_age": result.recipient_age,
        "office": result.office_text(lang),
        "office_known": result.office is not None,
        "with_office": with_office,
        "with_documents": with_documents,
        "steps": [s.get(lang) or s["id"] for s in result.steps],
        "documents": items_view(checklist_items(result.documents, policy), lang),
        "policy_version": result.policy_version,
        "policy_title": policy.get(f"title_{lang}") or policy.get("title_id", ""),
        "min_age": policy["recipient"]["min_age_at_submission"],
        "departure_min_age": policy["recipient"]["departure_min_age"],
        "cutoff": fmt_date(policy["cutoff"]["date"], lang),
    }


def verdict_text(result: Result, policy: dict, lang: str, *, with_office: bool = True,
                 with_documents: bool = True) -> str:
    """The verdict as HTML for Telegram (see `verdict_context` for the flags)."""
    return render(lang, "pelimpahan_verdict.j2",
                  **verdict_context(result, policy, lang, with_office=with_office,
                                    with_documents=with_documents))


def items_view(items: tuple[ChecklistItem, ...], lang: str) -> list[dict[str, Any]]:
    """Checklist items as plain dicts: `options` holds the document(s) that satisfy each one."""
    return [{"key": i.key, "label": i.label(lang), "alternative": i.alternative,
             "keys": sorted(i.keys()),
             "options": [{"key": d.key, "text": d.text(lang), "mark": d.mark}
                         for d in i.documents]}
            for i in items]


def checklist_context(items: list[dict], ready: dict[str, bool]) -> dict[str, Any]:
    """Progress over checklist items (see `items_view`); an item is ready when any key is."""
    out = []
    for i in items:
        done = any(ready.get(k) for k in i.get("keys") or (i["key"],))
        out.append(dict(i, ready=done, box=MARK_SYMBOL[done]))
    return {"items": out, "done": sum(i["ready"] for i in out), "total": len(out)}


def plain(text: str) -> str:
    """HTML reply text -> plain text (for the CLI and the DOCX files)."""
    return html_to_plain(text, validate=False)

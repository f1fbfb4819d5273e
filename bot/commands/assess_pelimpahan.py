"""`hajibot assess pelimpahan --json CASE_JSON` (or the case on stdin): the pelimpahan verdict.

Prints `{"eligible", "reasons", "warnings", "documents", "steps", "office", "questions", "text",
...}`. A relation word that can mean several relations ("saudara", "mas", "ortu") is asked about,
not refused: `"eligible": null` and `"questions"` names what to ask (field, code, text, options);
`"questions"` is always present (empty when nothing is to be asked).
A case it cannot assess (bad JSON, a missing field, an impossible or future date, an unknown
cause) prints a message naming the field on stderr, `{"error": {...}}` on stdout, and exits 2.
With a "porsi" and a configured database, the local mirror fills what it knows (already
transferred, other porsi, the kab/kota of registration).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from handlers.base import render
from handlers.pelimpahan.view import plain, verdict_text
from knowledge.dates import EXAMPLE_FORMATS, local_today
from knowledge.pelimpahan import (
    CaseError,
    assess_pelimpahan,
    case_from_dict,
    facts_from_record,
    load_policy,
    merge_facts,
    relation_label,
    result_to_dict,
    source_titles,
)
from knowledge.policy_loader import PolicyError

log = logging.getLogger(__name__)
EXIT_BAD_CASE = 2

MESSAGES = {
    "missing": "is missing",
    "unknown": "is not a known cause",
    "impossible": "is not a real date",
    "future": "lies in the future",
    "unparseable": "is not a date we can read (use one of: {formats})",
    "after_submission": "is after the submission date",
    "not_a_boolean": "must be true or false",
    "not_10_digits": "must be 10 digits",
    "not_a_positive_integer": "must be a whole number of at least 1",
    "not_text": "must be text",
    "not_an_object": "must be a JSON object",
    "bad_json": "is not valid JSON",
}


def register(assess_sub: argparse._SubParsersAction) -> None:
    p = assess_sub.add_parser(
        "pelimpahan", help="can this porsi pass to this family member (pelimpahan)?",
        description="Assess a pelimpahan case given as JSON (argument or stdin).",
    )
    p.add_argument("--json", dest="case_json", metavar="CASE_JSON", nargs="?", const="-",
                   help='the case, e.g. \'{"cause": "wafat", "event_date": "2023-03-10", '
                        '"before_departure": true, "relation": "anak", '
                        '"recipient_birth_date": "1990-01-01"}\'; without a value, "-" or '
                        'omitted: read the case from stdin')
    p.add_argument("--lang", choices=("id", "en"), default="id")
    p.add_argument("--today", type=date.fromisoformat, default=None,
                   help="the date to judge on (YYYY-MM-DD; default: today in the bot's timezone)")
    p.add_argument("--policy-version", default=None, help="a policy version (default: newest)")
    p.add_argument("--no-mirror", action="store_true", help="do not read the local mirror")
    p.set_defaults(func=run)


def _fail(field: str, reason: str, detail: str = "") -> int:
    message = f"{field} " + MESSAGES.get(reason, reason).format(formats=", ".join(EXAMPLE_FORMATS))
    if detail:
        message += f": {detail}"
    print(f"error: {message}", file=sys.stderr)
    print(json.dumps({"error": {"field": field, "reason": reason, "message": message}},
                     ensure_ascii=False))
    return EXIT_BAD_CASE


def _today(args) -> date:
    if args.today is not None:
        return args.today
    from bot.settings import get_settings

    return local_today(datetime.now(UTC), ZoneInfo(get_settings().timezone))


def run(args) -> int:
    raw = args.case_json
    if raw is None or raw == "-":
        raw = sys.stdin.read()
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, TypeError) as exc:
        return _fail("case", "bad_json", str(exc))
    try:
        policy = load_policy(args.policy_version)
    except PolicyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_CASE
    try:
        case = case_from_dict(data, _today(args), policy)
    except CaseError as exc:
        return _fail(exc.field, exc.reason, exc.detail)
    mirror = None
    if case.porsi and not args.no_mirror:
        facts, mirror = _mirror_facts(case.porsi)
        case = merge_facts(case, facts)
    result = assess_pelimpahan(case, policy)
    out = result_to_dict(result, policy, args.lang)
    if result.eligible is None:  # nothing refuses it, but the relation must be asked first
        out["text"] = "\n\n".join(plain(_question_text(q, result.relation.text, policy, args.lang))
                                   for q in out["questions"])
    else:
        out["text"] = plain(verdict_text(result, policy, args.lang))
    if mirror is not None:
        out["mirror"] = mirror
    print(json.dumps(out, ensure_ascii=False, indent=2))
    return 0


def _question_text(question: dict, relation_text: str, policy: dict, lang: str) -> str:
    return render(lang, "pelimpahan_relation_question.j2", question=question,
                  relation_text=relation_text, buttons=False,
                  allowed=[relation_label(k, policy, lang) for k in policy["relations"]["allowed"]],
                  sources=source_titles(policy["relations"]["source"], policy, lang, True))


def _mirror_facts(porsi: str) -> tuple[dict, dict]:
    """Facts from the local mirror; a missing or unreachable mirror is reported, not fatal."""
    from bot.settings import get_settings
    from db.engine import Database
    from integration import mirror as mirror_mod

    url = get_settings().database_url
    db = Database(url)
    try:
        with db.session() as session:
            entry = mirror_mod.get(session, porsi)
    except Exception as exc:  # noqa: BLE001 - the verdict stands without the mirror
        log.warning("mirror lookup failed: %s", type(exc).__name__)
        return {}, {"used": False, "note": "mirror could not be read"}
    finally:
        db.dispose()
    if entry is None:
        return {}, {"used": True, "found": False}
    facts = facts_from_record(entry.record)
    return facts, {"used": True, "found": True, "facts": facts,
                   "as_of": entry.fetched_at.isoformat()}

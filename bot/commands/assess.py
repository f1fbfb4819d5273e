"""`hajibot assess <kind>`: operator's assessment tools, one sub-command per kind.

- `hajibot assess pelunasan --porsi N [--today YYYY-MM-DD] [--json] [--lang id|en]`
  reads the local mirror only (no Siskohat refresh, no verification: an operator's tool) and
  prints the verdict; `--json` prints
  `{"porsi", "verdict", "tahap", "reasons", "warnings", "next_steps", "sources",
    "policy_version", "text"}` with `text` the rendered (plain) Indonesian text.
  Exit codes: 0 assessed, 1 porsi not in the mirror (verdict `not_found`, still printed),
  2 bad input (porsi, date, policy version) or a database that cannot be read.
- `hajibot assess pelimpahan ...` lives in bot/commands/assess_pelimpahan.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.commands import assess_pelimpahan
from handlers.pelimpahan.view import plain

EXIT_OK, EXIT_NOT_FOUND, EXIT_BAD_INPUT = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assess", help="assess a case: pelunasan | pelimpahan")
    kinds = p.add_subparsers(dest="assess_kind", required=True, metavar="KIND")
    _register_pelunasan(kinds)
    assess_pelimpahan.register(kinds)


def _register_pelunasan(kinds: argparse._SubParsersAction) -> None:
    p = kinds.add_parser(
        "pelunasan", help="may this porsi pay off this season (reads the mirror)?",
        description="Assess pelunasan for a nomor porsi from the local mirror (no Siskohat "
                    "refresh, no identity check). Exit 0 assessed, 1 not in the mirror, "
                    "2 bad input.")
    p.add_argument("--porsi", required=True, help="nomor porsi (10 digits)")
    p.add_argument("--today", help="assess as of this date, YYYY-MM-DD (default: today)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--lang", choices=("id", "en"), default="id", help="language of `text`")
    p.add_argument("--policy-version", help="a policy version (default: the newest file)")
    p.set_defaults(func=run_pelunasan)


def _fail(message: str) -> int:
    print(f"hajibot assess pelunasan: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run_pelunasan(args) -> int:
    from knowledge.dates import local_today
    from knowledge.pelunasan import assess_pelunasan
    from knowledge.policy_loader import PolicyError, load_policy
    from knowledge.porsi import parse_porsi

    parsed = parse_porsi(args.porsi)
    if not parsed.ok:
        return _fail(f"--porsi {args.porsi!r} is not a nomor porsi (10 digits expected, "
                     f"got {parsed.digits})")
    settings = _settings()
    if args.today:
        try:
            today = date.fromisoformat(args.today)
        except ValueError:
            return _fail(f"--today {args.today!r} is not a date in the form YYYY-MM-DD")
    else:
        today = local_today(datetime.now(UTC), ZoneInfo(settings.timezone))
    try:
        policy = load_policy("pelunasan", args.policy_version)
    except PolicyError as exc:
        return _fail(str(exc))
    try:
        record = asyncio.run(_mirror_record(settings.database_url, parsed.porsi))
    except Exception as exc:  # noqa: BLE001 - a missing or unmigrated database: say so, no traceback
        return _fail(f"cannot read the mirror ({type(exc).__name__}); run `hajibot db upgrade` "
                     "and `hajibot sync` first")
    assessment = assess_pelunasan(record, policy, today)
    from handlers.pelunasan.common import render_result  # the same texts as the chat

    text = plain(render_result(args.lang, assessment, record, policy, today, personal=True,
                                       porsi=parsed.porsi))
    if args.json:
        out = {
            "porsi": parsed.porsi,
            "verdict": assessment.verdict,
            "tahap": assessment.tahap,
            "reasons": list(assessment.reasons),
            "warnings": list(assessment.warnings),
            "next_steps": list(assessment.next_steps),
            "sources": list(assessment.sources),
            "policy_version": assessment.policy_version,
            "window": assessment.to_dict()["window"],
            "reading": assessment.to_dict()["reading"],
            "text": text,
        }
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(text)
    return EXIT_NOT_FOUND if record is None else EXIT_OK


def _settings():
    from bot.settings import get_settings

    return get_settings()


async def _mirror_record(url: str, porsi: str):
    """The mirror's copy of `porsi` via the gateway with no Siskohat client (never refreshes)."""
    from db.engine import Database
    from integration.gateway import Gateway

    db = Database(url)
    try:
        lookup = await Gateway(db, None, max_age_s=10**12).lookup(porsi)
    finally:
        db.dispose()
    return lookup.record

"""`hajibot helpdesk stats | transcript HD-...`: helpdesk figures and ticket transcripts.

stats: tickets opened/closed/open, first-response and resolution times (median, p90), the
average rating, overall and per reason (`--json`, `--days N`). transcript: one ticket's
messages in order (text; media as a placeholder with its type; internal notes marked);
an unknown id exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("helpdesk", help="helpdesk tickets: stats, transcript")
    hsub = p.add_subparsers(dest="helpdesk_command", required=True)
    st = hsub.add_parser("stats", help="tickets, response and resolution times, ratings")
    st.add_argument("--json", action="store_true", help="one JSON object")
    st.add_argument("--days", type=int, default=None, help="only tickets of the last N days")
    st.set_defaults(func=_stats)
    tr = hsub.add_parser("transcript", help="a ticket's messages, e.g. HD-2411-0042")
    tr.add_argument("code")
    tr.add_argument("--json", action="store_true")
    tr.set_defaults(func=_transcript)


def _db():
    from bot.settings import get_settings
    from db.engine import Database

    settings = get_settings()
    return Database(settings.database_url), settings


_NOT_READY = "the database has no helpdesk tables yet: run `hajibot db upgrade` first"


def _stats(args) -> int:
    from sqlalchemy.exc import DBAPIError

    from db import repos_helpdesk as repo
    from knowledge.tickets import human_duration, stats

    db, _ = _db()
    since = (datetime.now(UTC) - timedelta(days=args.days)) if args.days else None
    try:
        with db.session() as s:
            facts = repo.facts(s, since=since)
    except DBAPIError:
        print(_NOT_READY, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    figures = stats(facts)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return 0
    header = (f"{'reason':<12} {'opened':>6} {'closed':>6} {'open':>5} "
              f"{'1st resp med':>12} {'p90':>8} {'resolve med':>12} {'p90':>8} {'rating':>7}")
    print(header)
    print("-" * len(header))
    rows = [("ALL", figures["all"]), *figures["per_reason"].items()]
    for name, f in rows:
        rating = f"{f['rating_avg']:.2f}" if f["rating_avg"] is not None else "-"
        print(f"{name:<12} {f['opened']:>6} {f['closed']:>6} {f['open']:>5} "
              f"{human_duration(f['first_response_s']['median']):>12} "
              f"{human_duration(f['first_response_s']['p90']):>8} "
              f"{human_duration(f['resolution_s']['median']):>12} "
              f"{human_duration(f['resolution_s']['p90']):>8} {rating:>7}")
    return 0


_WHO = {"in": "jemaah", "out": "petugas", "note": "catatan", "bot": "bot"}


def _transcript(args) -> int:
    from sqlalchemy.exc import DBAPIError

    from db import repos_helpdesk as repo
    from knowledge.tickets import normalize_code

    code = normalize_code(args.code)
    if code is None:
        print(f"not a ticket id: {args.code[:40]!r} (expected e.g. HD-2411-0042)", file=sys.stderr)
        return 1
    db, settings = _db()
    try:
        with db.session() as s:
            ticket = repo.by_code(s, code)
            rows = repo.messages(s, ticket.id) if ticket else []
    except DBAPIError:
        print(_NOT_READY, file=sys.stderr)
        return 1
    finally:
        db.dispose()
    if ticket is None:
        print(f"unknown ticket: {code}", file=sys.stderr)
        return 1
    tz = ZoneInfo(settings.timezone)

    def local(t: datetime | None) -> str:
        return t.astimezone(tz).strftime("%Y-%m-%d %H:%M") if t else "-"

    if args.json:
        print(json.dumps({
            "code": ticket.code, "reason": ticket.reason, "state": ticket.state,
            "lang": ticket.lang, "porsi": ticket.porsi, "agent": ticket.agent_name,
            "opened_at": ticket.created_at.isoformat(),
            "closed_at": ticket.closed_at.isoformat() if ticket.closed_at else None,
            "closed_by": ticket.closed_by, "rating": ticket.rating, "comment": ticket.comment,
            "messages": [{"at": m.created_at.isoformat(), "from": _WHO.get(m.direction),
                          "kind": m.kind, "text": m.text, "status": m.status} for m in rows],
        }, ensure_ascii=False))
        return 0
    print(f"Tiket {ticket.code} · {ticket.reason} · {ticket.state}")
    print(f"Dibuka {local(ticket.created_at)} · ditutup {local(ticket.closed_at)}"
          + (f" oleh {ticket.closed_by}" if ticket.closed_by else ""))
    if ticket.agent_name:
        print(f"Petugas: {ticket.agent_name}")
    if ticket.rating is not None:
        print(f"Nilai: {ticket.rating}/5" + (f" · komentar: {ticket.comment}"
                                              if ticket.comment else ""))
    print()
    for m in rows:
        if m.kind == "comment":
            continue  # shown in the header
        body = m.text or ""
        if m.kind == "edit":
            body = f"(mengubah pesannya) {body}"
        elif m.kind != "text":
            body = f"[{m.kind}]" + (f" {body}" if body else "")
        flag = "" if m.status in ("sent", "none") else f" ({m.status})"
        print(f"[{local(m.created_at)}] {_WHO.get(m.direction, m.direction)}{flag}: {body}")
    return 0

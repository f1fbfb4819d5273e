"""Notifications that no mirror write causes: payoff reminders from the pelunasan policy's Tahap
windows, and an operator's announcement to the subscribers of some area or season.

Both read the watched records from the mirror (subscriptions joined with it, streamed) and
insert outbox rows with the same unique keys as integration/notify_queue.py: a reminder or an
announcement is queued once per chat however often this runs.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select

from db.models.mirror import MirrorRow
from db.models.notify import Announcement, Subscription
from integration import metrics
from integration.mirror_import import PACKED_COLUMNS, unpack
from integration.notify_queue import (
    INSERT,
    WATCHED,
    Differ,
    _mark,
    _stamp,
    season_policy,
    today_local,
)
from knowledge.notify import REMINDER, due_reminders, zone_of

_W = tuple(PACKED_COLUMNS.index(c) for c in WATCHED)
_PROP, _PROPNAME = PACKED_COLUMNS.index("kd_prop"), PACKED_COLUMNS.index("propinsi")
_KAB, _KABNAME = PACKED_COLUMNS.index("kd_kab"), PACKED_COLUMNS.index("kabupaten")
BATCH = 2000
# Telegram's limit for one message's text (https://core.telegram.org/bots/api#sendmessage)
MAX_TEXT = 4096


def _watched_records(session):
    """(porsi, channel, chat_id, lang, packed values) of every subscription, streamed."""
    q = (select(Subscription.porsi, Subscription.channel, Subscription.chat_id,
                Subscription.lang, MirrorRow.data)
         .join(MirrorRow, MirrorRow.porsi == Subscription.porsi)
         .order_by(Subscription.id).execution_options(yield_per=BATCH))
    for porsi, channel, chat_id, lang, data in session.execute(q):
        try:
            yield porsi, channel, chat_id, lang, unpack(data)
        except ValueError:
            continue


def _flush(session, rows: list[tuple], kind: str) -> int:
    if not rows:
        return 0
    conn = session.connection()
    cur = conn.connection.cursor()
    try:
        cur.executemany(_mark(conn.dialect.name, INSERT), rows)
        added = max(cur.rowcount, 0)  # rows a conflict skipped are not counted
    finally:
        cur.close()
    metrics.NOTIFY_QUEUED.labels(kind).inc(added)
    return added


# ------------------------------------------------------------------------------ reminders


def queue_reminders(db, now: datetime | None = None, policy: dict | None = None) -> int:
    """Queue the payoff reminders due today for watched porsi allocated to the season (the
    day a Tahap window opens, 7 days and 1 day before it closes). None while the policy's
    dates are placeholders. Returns the rows newly queued."""
    now = now or datetime.now(UTC)
    policy = policy if policy is not None else season_policy()
    today = today_local(now)
    due = {tahap: (mark, opens, closes) for tahap, mark, opens, closes
           in due_reminders(policy, today)}
    if not due:
        return 0
    differ = Differ(today, policy)
    season = (policy.get("season") or {}).get("hijri")
    queued = 0
    with db.session() as session:
        dialect = session.get_bind().dialect.name
        stamp = _stamp(dialect, now)
        rows: list[tuple] = []
        for porsi, channel, chat_id, lang, values in _watched_records(session):
            reading = differ.facts(tuple(values[i] for i in _W)).reading
            if not reading.allocated or reading.tahap not in due or not reading.waiting:
                continue
            mark, opens, closes = due[reading.tahap]
            payload = {"tahap": reading.tahap, "milestone": mark, "season": season,
                       "opens": opens.isoformat(), "closes": closes.isoformat(),
                       "reserve": reading.reserve}
            key = f"{porsi}:{REMINDER}:{season}>{reading.tahap}:{mark}:{channel}:{chat_id}"
            rows.append((key, channel, chat_id, porsi, REMINDER,
                         json.dumps(payload, separators=(",", ":")), lang,
                         zone_of(values[_PROP] or values[_KAB]), stamp, stamp))
            if len(rows) >= BATCH:
                queued += _flush(session, rows, REMINDER)
                rows = []
        queued += _flush(session, rows, REMINDER)
    return queued


# -------------------------------------------------------------------------- announcements


class AnnouncementError(ValueError):
    """The announcement file cannot be sent (empty, not UTF-8, too long): nothing was queued."""


def read_announcement(raw: bytes) -> str:
    """The file's text as it will be sent; refused when empty, not UTF-8 or longer than one
    Telegram message (counted in UTF-16 code units, as Telegram counts)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnnouncementError(f"the file is not UTF-8 (byte {exc.start})") from None
    text = text.removeprefix("\ufeff").strip()
    if not text:
        raise AnnouncementError("the file is empty")
    units = len(text.encode("utf-16-le")) // 2
    if units > MAX_TEXT:
        raise AnnouncementError(f"the text is {units} characters long; Telegram takes at most "
                                f"{MAX_TEXT} in one message")
    return text


def _fold(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "").casefold()
    for word in ("provinsi ", "kabupaten ", "kab. ", "kab ", "kota "):
        text = text.removeprefix(word)
    return " ".join(text.replace(".", " ").split())


@dataclass
class AnnouncePlan:
    chats: int = 0  # distinct chats that match
    queued: int = 0  # rows newly queued (0 on a dry run, or when already queued before)
    announcement_id: int | None = None
    filters: dict = field(default_factory=dict)


def announce(db, text: str, *, province: str | None = None, kabkota: str | None = None,
             season: int | None = None, dry_run: bool = False, now: datetime | None = None
             ) -> AnnouncePlan:
    """Queue `text` once to every chat watching a porsi that matches the filters (province and
    kab/kota by name or BPS code, `season`: the estimated or allocated Hijri season)."""
    now = now or datetime.now(UTC)
    filters = {k: v for k, v in (("province", province), ("kabkota", kabkota),
                                 ("season", season)) if v not in (None, "")}
    plan = AnnouncePlan(filters=filters)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    differ = Differ(today_local(now)) if season is not None else None
    want_prov, want_kab = _fold(province), _fold(kabkota)
    with db.session() as session:
        dialect = session.get_bind().dialect.name
        targets: dict[tuple[str, int], tuple[str, str]] = {}
        for _porsi, channel, chat_id, lang, values in _watched_records(session):
            if (channel, chat_id) in targets:
                continue
            if want_prov and want_prov not in (_fold(values[_PROPNAME]),
                                               values[_PROP]):
                continue
            if want_kab and want_kab not in (_fold(values[_KABNAME]), values[_KAB]):
                continue
            if differ is not None:
                reading = differ.facts(tuple(values[i] for i in _W)).reading
                est = reading.estimate
                if season not in (reading.allocated_season, est.season_hijri if est else None):
                    continue
            targets[(channel, chat_id)] = (lang, zone_of(values[_PROP] or values[_KAB]))
        plan.chats = len(targets)
        if dry_run or not targets:
            return plan
        row = Announcement(sha256=digest, text=text, filters=json.dumps(filters),
                           created_at=now.astimezone(UTC).replace(tzinfo=None))
        session.add(row)
        session.flush()
        plan.announcement_id = row.id
        stamp = _stamp(dialect, now)
        payload = json.dumps({"announcement": row.id})
        rows = [(f"announce:{digest[:32]}:{channel}:{chat_id}", channel, chat_id, None,
                 "announce", payload, lang, zone, stamp, stamp)
                for (channel, chat_id), (lang, zone) in targets.items()]
        for i in range(0, len(rows), BATCH):
            plan.queued += _flush(session, rows[i:i + BATCH], "announce")
    return plan

"""The one place where a mirror write becomes notifications: stored record vs new record, diffed
(`knowledge.notify`), one outbox row per subscriber and change, in the caller's transaction.

Every way data arrives ends here: the CSV import (`import_csv`, per chunk on its raw
connection), the change feed and on-demand refresh (`upsert_records`) and push events
(`apply_changes`). A re-sync of the same data writes nothing and so diffs nothing; and each
outbox row has a unique key (porsi, kind, before -> after, channel, chat), so a second writer
or a retried transaction never queues it twice (`INSERT ... ON CONFLICT DO NOTHING`).

Fast path (a national sync changing tens of thousands of watched records): only porsi someone
watches are diffed (their set is read once per write pass); a record whose notifiable columns
did not change is skipped by comparing raw values; a reading is cached per distinct
combination of the values it depends on (when Siskohat sends its own estimate, the position
does not matter, so most records share one); subscribers, verified chats and the outbox
insert are each one statement per 500 porsi (executemany on the DBAPI cursor).
"""

from __future__ import annotations

import contextlib
import json
import logging
import operator
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from integration import metrics
from integration.wire import EXPORT_COLUMNS, WireError, record_from_wire
from knowledge.notify import Change, Facts, diff_facts, facts_of, zone_of
from knowledge.policy_loader import load_policy
from knowledge.reading import read_record

log = logging.getLogger(__name__)

PACKED = EXPORT_COLUMNS[1:-1]  # the mirror's packed `data` columns (integration.mirror_import)
# The export columns a notification's content can depend on (knowledge.notify.diff_facts).
WATCHED = (
    "status_jemaah", "posisiporsi", "kuotapropinsi", "berangkatmasehi",
    "berangkathijriah", "status_bayar", "tahun_pelunasan", "tahap_pelunasan",
    "status_cadangan", "status_pelunasan", "status_istithaah", "kategori_prioritas",
    "asal_pelimpahan",
)  # fmt: skip
_W = tuple(PACKED.index(c) for c in WATCHED)
_pick = operator.itemgetter(*_W)  # packed values -> the WATCHED tuple
_POS, _QUOTA = WATCHED.index("posisiporsi"), WATCHED.index("kuotapropinsi")
_MASEHI, _HIJRI = WATCHED.index("berangkatmasehi"), WATCHED.index("berangkathijriah")
# where: the zone of the quiet hours, the area whose quota is kept
_PROP, _KAB = PACKED.index("kd_prop"), PACKED.index("kd_kab")
_QUOTA_AT = PACKED.index("kuotapropinsi")
PART = 2000  # porsi per IN (...) list (SQLite >= 3.32 binds up to 32,766 values)
CACHE_MAX = 100_000
LOCAL_TZ = ZoneInfo("Asia/Jakarta")  # the day a reading is made on (as the status card)


@lru_cache(maxsize=1)
def season_policy() -> dict:
    return load_policy("pelunasan")


def today_local(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(LOCAL_TZ).date()


def _num(v: str) -> int | None:
    return int(v) if v.isdigit() else None


class Differ:
    """Diffs packed mirror values for one write pass (one day, one policy)."""

    def __init__(self, today: date | None = None, policy: dict | None = None):
        self.today = today or today_local()
        self.policy = policy if policy is not None else season_policy()
        self._cache: dict[tuple, Facts] = {}
        self._diffs: dict[tuple, list[Change]] = {}

    @staticmethod
    def _key(watched: tuple[str, ...]) -> tuple[str, ...]:
        # The reading depends on the position and quota only when Siskohat sent no estimate.
        if watched[_HIJRI] or watched[_MASEHI]:
            return (*watched[:_POS], "", "", *watched[_QUOTA + 1:])
        return watched

    def facts(self, watched: tuple[str, ...]) -> Facts:
        key = self._key(watched)
        got = self._cache.get(key)
        if got is None:
            wire = dict(zip(WATCHED, key, strict=True))
            wire["kd_porsi"] = "0000000000"
            record = record_from_wire(wire)
            got = facts_of(record, read_record(record, self.today, self.policy))
            if len(self._cache) >= CACHE_MAX:
                self._cache.clear()
            self._cache[key] = got
        if key is not watched:  # put this record's own position and quota back (reasons)
            got = Facts(got.reading, got.status_sensitive, got.istithaah,
                        _num(watched[_POS]), _num(watched[_QUOTA]))
        return got

    def changes(self, old: Sequence[str], new: Sequence[str],
                area_quota: int | None = None) -> list[Change]:
        """Changes between two packed value lists (PACKED order); [] when nothing notifiable
        moved."""
        a, b = _pick(old), _pick(new)
        if a == b:
            return []
        # Same readings and the same reason's figures give the same changes: in a batch that
        # moves an area's quota, thousands of records share one diff.
        qa, qb = a[_QUOTA], b[_QUOTA]
        key = (self._key(a), self._key(b), area_quota,
               (qa, qb) if qa != qb else (a[_POS], b[_POS]))
        got = self._diffs.get(key)
        if got is None:
            try:
                got = diff_facts(self.facts(a), self.facts(b), area_quota)
            except (WireError, ValueError):  # a stored value that no longer parses: nothing
                got = []
            if len(self._diffs) >= CACHE_MAX:
                self._diffs.clear()
            self._diffs[key] = got
        return got


# ------------------------------------------------------------------------------ the SQL


def _mark(dialect: str, sql: str) -> str:
    return sql if dialect == "sqlite" else sql.replace("?", "%s")


def _stamp(dialect: str, moment: datetime):
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    # SQLAlchemy's SQLite DateTime format (text that sorts as time)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else naive


INSERT = ('INSERT INTO notify_outbox ("key", channel, chat_id, porsi, kind, payload, lang, zone, '
          "created_at, due_at, state, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "'pending', 0) ON CONFLICT (\"key\") DO NOTHING")


def outbox_key(porsi: str | None, change: Change, channel: str, chat_id: int) -> str:
    return f"{porsi}:{change.kind}:{change.old}>{change.new}:{channel}:{chat_id}"[:200]


def subscribed_porsi(cur) -> set[str]:
    """Every porsi somebody watches (read once per write pass)."""
    cur.execute("SELECT DISTINCT porsi FROM notify_subscriptions")
    return {r[0] for r in cur.fetchall()}


def _in(cur, dialect: str, sql: str, porsi: list[str], *extra) -> list[tuple]:
    rows: list[tuple] = []
    for i in range(0, len(porsi), PART):
        part = porsi[i:i + PART]
        marks = ", ".join("?" * len(part))
        cur.execute(_mark(dialect, sql.format(marks=marks)), (*part, *extra))
        rows.extend(cur.fetchall())
    return rows


def queue_changes(cur, dialect: str, pairs: Iterable[tuple[str, list[str], list[str]]], *,
                  now: datetime | None = None, differ: Differ | None = None) -> int:
    """Queue the notifications of (porsi, old packed values, new packed values) pairs on the
    DBAPI cursor `cur` (the caller's transaction). Returns the rows queued."""
    now = now or datetime.now(UTC)
    differ = differ or Differ(today_local(now))
    season = (differ.policy.get("season") or {}).get("hijri") or 0
    areas = _area_quotas(cur, dialect, season)
    found: dict[str, tuple[list[Change], str]] = {}
    seen_quota: dict[str, int] = {}
    texts = {a: str(q) for a, q in areas.items()}
    for porsi, old, new in pairs:
        kab = new[_KAB] or new[_PROP]
        changes = differ.changes(old, new, areas.get(kab))
        quota = new[_QUOTA_AT]
        if quota and kab and texts.get(kab) != quota and quota.isdigit():
            seen_quota[kab] = int(quota)
            texts[kab] = quota
        if changes:
            found[porsi] = (changes, zone_of(new[_PROP] or new[_KAB]))
    if seen_quota:
        _save_area_quotas(cur, dialect, season, seen_quota, now)
    if not found:
        return 0
    return _insert(cur, dialect, found, now)


def _insert(cur, dialect: str, found: dict[str, tuple[list[Change], str]], now: datetime
            ) -> int:
    porsis = list(found)
    subs = _in(cur, dialect, "SELECT porsi, channel, chat_id, lang FROM notify_subscriptions "
                             "WHERE porsi IN ({marks})", porsis)
    sensitive = [p for p in porsis if any(c.sensitive for c in found[p][0])]
    verified: set[tuple[str, int]] = set()
    if sensitive:
        verified = {(p, int(c)) for c, p in _in(
            cur, dialect, "SELECT chat_id, porsi FROM verified_links WHERE porsi IN ({marks}) "
                          "AND expires_at > ?", sensitive, _stamp(dialect, now))}
    stamp = _stamp(dialect, now)
    rows = []
    kinds: dict[str, int] = {}
    payloads: dict[int, str] = {}  # a Change shared by many records is serialised once
    for porsi, channel, chat_id, lang in subs:
        changes, zone = found[porsi]
        for change in changes:
            if change.sensitive and (porsi, int(chat_id)) not in verified:
                # health and payment news only to a chat verified for this porsi (a chat id
                # names its channel: WhatsApp ids never equal Telegram ones)
                continue
            payload = payloads.get(id(change))
            if payload is None:
                payload = payloads[id(change)] = json.dumps(change.payload,
                                                            separators=(",", ":"))
            rows.append((outbox_key(porsi, change, channel, chat_id), channel, chat_id, porsi,
                         change.kind, payload, lang, zone, stamp, stamp))
            kinds[change.kind] = kinds.get(change.kind, 0) + 1
    if not rows:
        return 0
    cur.executemany(_mark(dialect, INSERT), rows)
    for kind, n in kinds.items():
        metrics.NOTIFY_QUEUED.labels(kind).inc(n)
    return max(cur.rowcount, 0)  # rows a conflict skipped (already queued) are not counted


def _area_quotas(cur, dialect: str, season: int) -> dict[str, int]:
    cur.execute(_mark(dialect, "SELECT area, quota FROM notify_area_quota WHERE season = ?"),
                (season,))
    return {a: q for a, q in cur.fetchall()}


def _save_area_quotas(cur, dialect: str, season: int, quotas: dict[str, int], now: datetime
                      ) -> None:
    sql = ("INSERT INTO notify_area_quota (area, season, quota, updated_at) VALUES (?, ?, ?, ?) "
           "ON CONFLICT (area, season) DO UPDATE SET quota = excluded.quota, "
           "updated_at = excluded.updated_at")
    stamp = _stamp(dialect, now)
    cur.executemany(_mark(dialect, sql), [(a, season, q, stamp) for a, q in quotas.items()])


# -------------------------------------------------------------------- the CSV import's hook


class ImportHook:
    """Called by `import_csv` with each chunk before it is written, on the import's own raw
    connection: reads the stored copies of watched porsi in the chunk, then (after the upsert,
    same transaction) queues what changed."""

    def __init__(self, cur, dialect: str, unpack, *, now: datetime | None = None):
        self.cur, self.dialect = cur, dialect
        self.unpack = unpack  # the mirror's packed `data` -> values (integration.mirror_import)
        self.now = now or datetime.now(UTC)
        self.watched = subscribed_porsi(cur)
        self.differ = Differ(today_local(self.now))
        self.queued = 0

    def before(self, rows: list[tuple[str, str, str]]) -> list[tuple[str, list[str], list[str]]]:
        """(porsi, updated_at, packed data) rows of a chunk -> pairs to diff once written."""
        if not self.watched:
            return []
        mine = [r for r in rows if r[0] in self.watched]
        if not mine:
            return []
        stored = {p: (u, d) for p, u, d in _in(
            self.cur, self.dialect, "SELECT porsi, updated_at, data FROM mirror "
                                    "WHERE porsi IN ({marks})", sorted({r[0] for r in mine}))}
        unpack = self.unpack
        pairs = []
        for porsi, stamp, data in mine:
            old = stored.get(porsi)
            if old is None or stamp <= old[0] or data == old[1]:
                if old is not None and stamp > old[0]:
                    stored[porsi] = (stamp, data)
                continue
            with contextlib.suppress(ValueError):  # a stored row that no longer parses
                pairs.append((porsi, unpack(old[1]), unpack(data)))
            stored[porsi] = (stamp, data)  # a porsi twice in one chunk: diff against the first
        return pairs

    def after(self, pairs: list[tuple[str, list[str], list[str]]]) -> None:
        if pairs:
            self.queued += queue_changes(self.cur, self.dialect, pairs, now=self.now,
                                         differ=self.differ)


def queue_session(session, changed: list[tuple[str, str, str]], unpack, *,
                  now: datetime | None = None) -> int:
    """Queue the notifications of (porsi, old packed data, new packed data) written by
    `session` (the live refresh, the change feed, a push event), in its transaction; `unpack`
    is the mirror's (integration.mirror_import)."""
    cur, dialect = session_cursor(session)
    try:
        watched = {r[0] for r in _in(cur, dialect, "SELECT DISTINCT porsi FROM "
                                     "notify_subscriptions WHERE porsi IN ({marks})",
                                     sorted({c[0] for c in changed}))}
        pairs = []
        for porsi, old, new in changed:
            if porsi in watched:
                with contextlib.suppress(ValueError):  # a stored row that no longer parses
                    pairs.append((porsi, unpack(old), unpack(new)))
        return queue_changes(cur, dialect, pairs, now=now) if pairs else 0
    finally:
        cur.close()


def session_cursor(session):
    """The DBAPI cursor of `session`'s connection (its transaction) and the dialect name."""
    conn = session.connection()
    return conn.connection.cursor(), conn.dialect.name

"""What a subscriber is told when a record changes: the diff of two readings, reminders from the
pelunasan policy, the pilgrim's time zone and quiet hours. Pure: no I/O.

A change is computed from `knowledge.reading.read_record` of the stored and the new record on
the same day under the same policy, so a notification says exactly what the status card would
say now and said before. Health and payment changes are *sensitive* (UU 27/2022 Pasal 4 ayat
(2)): they carry no values, only their kind; the text says there is news and the detail is
shown after verification.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from knowledge.reading import SENSITIVE_STATUSES, Reading, read_record
from knowledge.records import PilgrimRecord

# Kinds of notification, and which of them are sensitive (only to verified chats, no values).
ESTIMATE, ALLOCATION, STATUS, HEALTH, PAYMENT = "estimate", "allocation", "status", "health", \
    "payment"
REMINDER, ANNOUNCE = "reminder", "announce"
KINDS = (ESTIMATE, ALLOCATION, STATUS, HEALTH, PAYMENT, REMINDER, ANNOUNCE)
SENSITIVE_KINDS = frozenset({HEALTH, PAYMENT})

# Indonesia's three zones (UU-free fact: Keppres 41/1987), by BPS province code. Codes of the
# newer provinces (Kalimantan Utara 65, Papua's 2022 splits 92, 95-97) are included.
ZONE_OFFSETS = {"WIB": 7, "WITA": 8, "WIT": 9}
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "94", "95", "96", "97"}


def zone_of(province_code: str | None) -> str:
    """WIB / WITA / WIT of a BPS province code ("35", or a kab/kota code "3509"); WIB when
    unknown (the zone of most pilgrims, and of the helpdesk)."""
    code = (province_code or "")[:2]
    if code in _WIT:
        return "WIT"
    if code in _WITA:
        return "WITA"
    return "WIB"


def zone_tz(zone: str) -> timezone:
    return timezone(timedelta(hours=ZONE_OFFSETS.get(zone, 7)), zone)


# ---------------------------------------------------------------------------- quiet hours


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # over midnight


def parse_quiet_hours(text: str | None) -> QuietHours | None:
    """"21:00-06:00" -> QuietHours; "" or None -> None (off). Raises ValueError on bad text."""
    if text is None or not text.strip():
        return None
    try:
        a, b = (part.strip() for part in text.split("-"))
        start, end = time.fromisoformat(a), time.fromisoformat(b)
    except ValueError:
        raise ValueError(f"quiet hours must look like 21:00-06:00, got {text!r}") from None
    if start == end:
        raise ValueError("quiet hours start and end are the same")
    return QuietHours(start, end)


def quiet_until(now: datetime, zone: str, quiet: QuietHours | None) -> datetime | None:
    """When `now` (aware) falls in the quiet hours of `zone`: the aware UTC moment they end;
    else None. A deferred notification is sent then, never dropped."""
    if quiet is None:
        return None
    local = now.astimezone(zone_tz(zone))
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return None
    end = local.replace(hour=quiet.end.hour, minute=quiet.end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(UTC)


# ------------------------------------------------------------------------------- changes


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    old: str  # the before value as a short token ("1460/2039"), part of the idempotency key
    new: str
    payload: dict[str, Any] = field(default_factory=dict)  # what the text needs; no personal data

    @property
    def sensitive(self) -> bool:
        return self.kind in SENSITIVE_KINDS


def _token(*values: Any) -> str:
    return "/".join("" if v is None else str(v) for v in values)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the diff compares of one record: its reading, plus the few raw values a reason or
    a sensitive kind needs."""

    reading: Reading
    status_sensitive: bool  # a health status (sakit permanen): never said on a lock screen
    istithaah: str | None  # Istithaah name
    position: int | None
    quota: int | None


def facts(record: PilgrimRecord, today: date, policy: dict) -> Facts:
    return facts_of(record, read_record(record, today, policy))


def facts_of(record: PilgrimRecord, reading: Reading) -> Facts:
    ist = record.health.istithaah
    return Facts(reading, record.identity.status in SENSITIVE_STATUSES,
                 None if ist is None else ist.name, record.waiting.position,
                 record.waiting.quota)


def estimate_reason(old: Facts, new: Facts, area_quota: int | None = None) -> dict[str, Any]:
    """Why the estimate moved, when the records tell: the area's quota changed (on the record,
    or as kept per area and season: `area_quota`), or the position in the queue moved."""
    oq, nq = old.quota, new.quota
    if oq and nq and oq != nq:
        return {"reason": "quota", "quota_old": oq, "quota_new": nq}
    if area_quota and oq and area_quota != oq:
        return {"reason": "quota", "quota_old": oq, "quota_new": area_quota}
    op, np_ = old.position, new.position
    if op and np_ and op != np_:
        return {"reason": "position", "position_old": op, "position_new": np_}
    return {"reason": "unknown"}


def diff(old: PilgrimRecord, new: PilgrimRecord, today: date, policy: dict,
         area_quota: int | None = None) -> list[Change]:
    """The notifiable changes from `old` to `new`, as the status card would tell them on
    `today`. The same record twice gives []."""
    return diff_facts(facts(old, today, policy), facts(new, today, policy), area_quota)


def diff_facts(old: Facts, new: Facts, area_quota: int | None = None) -> list[Change]:
    a, b = old.reading, new.reading
    out: list[Change] = []
    if a.status != b.status and b.status is not None and a.status is not None:
        if old.status_sensitive or new.status_sensitive:
            out.append(Change(HEALTH, "status", "status:" + str(b.status)))
        else:
            out.append(Change(STATUS, str(a.status), str(b.status),
                              {"old": a.status, "new": b.status}))
    ea, eb = a.estimate, b.estimate
    if b.waiting and eb is not None and ea is not None and (
            (ea.season_hijri, ea.year_masehi) != (eb.season_hijri, eb.year_masehi)):
        out.append(Change(
            ESTIMATE, _token(ea.season_hijri, ea.year_masehi),
            _token(eb.season_hijri, eb.year_masehi),
            {"old_hijri": ea.season_hijri, "old_masehi": ea.year_masehi,
             "new_hijri": eb.season_hijri, "new_masehi": eb.year_masehi,
             **estimate_reason(old, new, area_quota)}))
    if b.allocated and (a.allocation, a.tahap, a.allocated_season) != (
            b.allocation, b.tahap, b.allocated_season):
        w = b.window
        out.append(Change(
            ALLOCATION, _token(a.allocation, a.allocated_season, a.tahap),
            _token(b.allocation, b.allocated_season, b.tahap),
            {"season": b.allocated_season, "tahap": b.tahap, "reserve": b.reserve,
             "opens": w.opens.isoformat() if w else None,
             "closes": w.closes.isoformat() if w else None,
             "placeholder": b.schedule_placeholder}))
    if old.istithaah != new.istithaah and new.istithaah is not None:
        out.append(Change(HEALTH, "istithaah", "istithaah:" + new.istithaah))
    if a.payment != b.payment and b.payment is not None and a.payment is not None:
        out.append(Change(PAYMENT, "payment", "payment:" + str(b.payment)))
    return out


# ----------------------------------------------------------------------------- reminders

OPENS, CLOSES_7, CLOSES_1 = "opens", "closes_7", "closes_1"


def due_reminders(policy: dict, today: date) -> list[tuple[str, str, date, date]]:
    """(tahap, milestone, opens, closes) of the policy's Tahap windows whose reminder is due on
    `today`: the day a window opens, 7 days and 1 day before it closes (a milestone stays due
    until the next one, so a sender that was down that day still sends it once). None while the
    dates are placeholders."""
    schedule = policy.get("schedule") or {}
    if schedule.get("placeholder", False):
        return []
    out = []
    for tahap, spec in (schedule.get("tahap") or {}).items():
        try:
            opens = date.fromisoformat(str(spec.get("opens")))
            closes = date.fromisoformat(str(spec.get("closes")))
        except (TypeError, ValueError, AttributeError):
            continue
        if not opens <= today <= closes:
            continue
        marks = [(OPENS, opens), (CLOSES_7, closes - timedelta(days=7)),
                 (CLOSES_1, closes - timedelta(days=1))]
        marks = [(m, d) for m, d in marks if opens <= d <= closes]
        current = None
        for m, d in marks:
            if d <= today:
                current = m
        if current is not None:
            out.append((str(tahap), current, opens, closes))
    return out


def reminders_off_reason(policy: dict) -> str | None:
    """Why no payoff reminder can be sent under `policy` (placeholder dates), or None."""
    if (policy.get("schedule") or {}).get("placeholder", False):
        return (f"pelunasan_{policy.get('version')}.yaml has placeholder dates: no payoff "
                "reminders until the operator sets the real Tahap windows")
    return None


def estimate_move(seen: tuple[int | None, int | None, int | None, int | None],
                  now: tuple[int | None, int | None, int | None, int | None]
                  ) -> dict[str, Any] | None:
    """What the status card says when the estimate differs from the one this chat last saw:
    (season, year, position, quota) then and now -> from what to what and why; None when the
    same."""
    if seen[:2] == now[:2] or not any(seen[:2]) or not any(now[:2]):
        return None
    move: dict[str, Any] = {"old_hijri": seen[0], "old_masehi": seen[1], "new_hijri": now[0],
                            "new_masehi": now[1], "reason": "unknown"}
    if seen[3] and now[3] and seen[3] != now[3]:
        move.update(reason="quota", quota_old=seen[3], quota_new=now[3])
    elif seen[2] and now[2] and seen[2] != now[2]:
        move.update(reason="position", position_old=seen[2], position_new=now[2])
    return move

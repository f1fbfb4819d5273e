"""Push events from Siskohat / Siskohatkes: `POST /integrasi/siskohat/peristiwa`.

Body `{"id", "jenis", "kd_porsi", "data": {<changed export columns>}, "waktu": ISO-8601}`,
header `X-Siskohat-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. A bad or missing
signature gets 401 before the body is even parsed; each event id is applied once (the id is
stored in `push_events` in the same transaction as the change); a repeated id gets
200 `{"status": "duplicate"}`. The change is a partial update of the mirror row (see
`mirror.apply_changes`): an event older than the stored copy changes nothing ("stale"), an
event for a porsi the mirror does not hold is acknowledged ("unknown_porsi"; the next sync
brings the whole record).

`waktu` must carry a UTC offset (`Z` or e.g. `+07:00`; a bare local time would be read as UTC
and WIB times would land 7 hours in the future) and may be at most `MAX_FUTURE` ahead of the
server clock: an event dated in the future would freeze the mirror row, since every later
import looks "older". Both get 400 and consume nothing.

A change of `no_hp` or `tgl_lahir` (the two verification factors) resets every verified link
of that porsi and is audited (`verification_factor_changes`: porsi, factor, source, event id,
time; never the values) in the transaction of the mirror write.

Event ids are kept `push_event_retention_days` (`purge_events`, run by the retention job):
a retry within that period is still a duplicate. A retry after it is applied again, which the
mirror's own ordering makes harmless (an event older than the stored copy changes nothing).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.mirror import PushEvent
from integration import mirror
from integration.safe_json import BadBody, load_object
from integration.wire import WireError, parse_porsi
from knowledge.dates import to_utc

log = logging.getLogger(__name__)

PATH = "/integrasi/siskohat/peristiwa"
SIGNATURE_HEADER = "X-Siskohat-Signature"
EVENT_TYPES = frozenset(
    {
        "istithaah.diperbarui",
        "vaksin.diperbarui",
        "pelunasan.diperbarui",
        "status.diperbarui",
        "estimasi.diperbarui",
    }
)
MAX_BODY = 64 * 1024  # one event is a few hundred bytes
# How far `waktu` may be ahead of the server clock (clock skew between the two systems).
MAX_FUTURE = timedelta(minutes=5)


def sign(body: bytes, secret: str) -> str:
    """The header value Siskohat sends: `sha256=<hex HMAC-SHA256 of body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"status": "error", "error": message, **extra}, status=status)


class _BadEvent(ValueError):
    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.extra = extra





def _waktu(raw: Any, now: datetime) -> datetime:
    """`waktu`: an ISO-8601 timestamp with a UTC offset, not more than MAX_FUTURE ahead."""
    if not isinstance(raw, str) or not raw.strip():
        raise _BadEvent("waktu is not an ISO-8601 timestamp")
    try:
        parsed = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise _BadEvent("waktu is not an ISO-8601 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _BadEvent(
            "waktu has no UTC offset; send e.g. 2024-03-05T10:00:00+07:00 (WIB) or "
            "2024-03-05T03:00:00Z: a time without an offset is ambiguous"
        )
    try:
        waktu = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise _BadEvent("waktu is out of range") from None
    if waktu > now + MAX_FUTURE:
        minutes = int(MAX_FUTURE.total_seconds() // 60)
        raise _BadEvent(
            f"waktu is more than {minutes} minutes ahead of the server clock",
            server_time=now.isoformat(timespec="seconds"),
        )
    return waktu


def _parse(body: bytes, now: datetime) -> dict[str, Any]:
    try:
        payload = load_object(body, max_depth=8)
    except BadBody as exc:
        raise _BadEvent(f"body is {exc}" if str(exc).startswith("not") else str(exc)) from None
    event_id = payload.get("id")
    if not isinstance(event_id, str | int) or not str(event_id).strip():
        raise _BadEvent("missing id")
    event_id = str(event_id).strip()
    if len(event_id) > 200:
        raise _BadEvent("id longer than 200 characters")
    jenis = payload.get("jenis")
    if not isinstance(jenis, str) or jenis not in EVENT_TYPES:
        raise _BadEvent(f"unknown jenis; expected one of {sorted(EVENT_TYPES)}")
    try:
        porsi = parse_porsi(payload.get("kd_porsi"))
    except WireError:
        raise _BadEvent("kd_porsi is not a 10-digit nomor porsi") from None
    data = payload.get("data")
    if not isinstance(data, dict):
        raise _BadEvent("data is not a JSON object")
    waktu = _waktu(payload.get("waktu"), now)
    return {"id": event_id, "jenis": jenis, "porsi": porsi, "data": data, "waktu": waktu}


def purge_events(session: Session, before: datetime) -> int:
    """Forget the ids of push events received before `before` (retention); returns how many."""
    table = PushEvent.__table__
    cut = mirror.iso_utc(before)
    return session.execute(table.delete().where(table.c.received_at < cut)).rowcount or 0


def add_push_routes(
    app: web.Application, db, secret: str, *, clock: Callable[[], datetime] | None = None
) -> None:
    """Register the push endpoint on `app` (the bot's aiohttp web server). `clock` (aware
    UTC; the system clock by default) dates receipts and bounds `waktu`."""
    key = secret.encode()
    now_of = clock or (lambda: datetime.now(UTC))

    async def peristiwa(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, "body too large")
        body = await request.read()
        given = request.headers.get(SIGNATURE_HEADER, "")
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("push event with a bad or missing signature rejected")
            return _error(401, "bad signature")
        now = to_utc(now_of())
        try:
            event = _parse(body, now)
        except _BadEvent as exc:
            return _error(400, str(exc), **exc.extra)
        table = PushEvent.__table__
        factors: list[str] = []
        reset = 0
        try:
            with db.session() as session:
                seen = session.execute(select(table.c.id).where(table.c.id == event["id"])).first()
                if seen is not None:
                    return web.json_response({"status": "duplicate", "id": event["id"]})
                moved: dict[str, Any] = {}
                outcome, ignored = mirror.apply_changes(
                    session,
                    event["porsi"],
                    event["data"],
                    event["waktu"],
                    source="push",
                    event_id=event["id"],
                    now=now,
                    reset=moved,
                )
                factors, reset = moved.get("factors", []), moved.get("links", 0)
                session.execute(
                    table.insert().values(
                        id=event["id"],
                        received_at=mirror.iso_utc(now),
                        jenis=event["jenis"],
                        porsi=event["porsi"],
                        outcome=outcome,
                    )
                )
        except WireError as exc:
            return _error(400, str(exc), field=exc.field)
        except Exception as exc:  # noqa: BLE001 - any failure: a duplicate, else 500 (retry)
            # Two deliveries of one id at the same moment: the loser hits the primary key.
            with db.session() as session:
                if session.execute(select(table.c.id).where(table.c.id == event["id"])).first():
                    return web.json_response({"status": "duplicate", "id": event["id"]})
            log.error("push event not applied: %s", type(exc).__name__)
            return _error(500, "event not applied; retry later")
        log.info("push event %s (%s): %s", event["id"], event["jenis"], outcome)
        if factors:
            log.info(
                "push event %s changed verification factor(s) %s; %d verified link(s) reset",
                event["id"],
                ",".join(factors),
                reset,
            )
        answer: dict[str, Any] = {"status": outcome, "id": event["id"]}
        if ignored:
            answer["ignored"] = ignored
        return web.json_response(answer)

    app.router.add_post(PATH, peristiwa, name="siskohat_peristiwa")

"""Push events from Siskohat / Siskohatkes: `POST /integrasi/siskohat/peristiwa`.

Body `{"id", "jenis", "kd_porsi", "data": {<changed export columns>}, "waktu": ISO-8601}`,
header `X-Siskohat-Signature: sha256=<hex HMAC-SHA256 of the raw body>`. A bad or missing
signature gets 401 before the body is even parsed; each event id is applied once (the id is
stored in `push_events` in the same transaction as the change); a repeated id gets
200 `{"status": "duplicate"}`. The change is a partial update of the mirror row (see
`mirror.apply_changes`): an event older than the stored copy changes nothing ("stale"), an
event for a porsi the mirror does not hold is acknowledged ("unknown_porsi"; the next sync
brings the whole record).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.db.models.mirror import PushEvent
from integration import mirror
from integration.safe_json import BadBody, load_object
from integration.wire import WireError, parse_datetime, parse_porsi

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


def sign(body: bytes, secret: str) -> str:
    """The header value Siskohat sends: `sha256=<hex HMAC-SHA256 of body>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"status": "error", "error": message, **extra}, status=status)


class _BadEvent(ValueError):
    pass


def _parse(body: bytes) -> dict[str, Any]:
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
    if jenis not in EVENT_TYPES:
        raise _BadEvent(f"unknown jenis; expected one of {sorted(EVENT_TYPES)}")
    try:
        porsi = parse_porsi(payload.get("kd_porsi"))
    except WireError:
        raise _BadEvent("kd_porsi is not a 10-digit nomor porsi") from None
    data = payload.get("data")
    if not isinstance(data, dict):
        raise _BadEvent("data is not a JSON object")
    try:
        waktu = parse_datetime(payload.get("waktu"), "waktu")
    except WireError:
        waktu = None
    if waktu is None:
        raise _BadEvent("waktu is not an ISO-8601 timestamp")
    return {"id": event_id, "jenis": jenis, "porsi": porsi, "data": data, "waktu": waktu}


def add_push_routes(app: web.Application, db, secret: str) -> None:
    """Register the push endpoint on `app` (the bot's aiohttp web server)."""
    key = secret.encode()

    async def peristiwa(request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _error(413, "body too large")
        body = await request.read()
        given = request.headers.get(SIGNATURE_HEADER, "")
        expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("push event with a bad or missing signature rejected")
            return _error(401, "bad signature")
        try:
            event = _parse(body)
        except _BadEvent as exc:
            return _error(400, str(exc))
        table = PushEvent.__table__
        try:
            with db.session() as session:
                seen = session.execute(select(table.c.id).where(table.c.id == event["id"])).first()
                if seen is not None:
                    return web.json_response({"status": "duplicate", "id": event["id"]})
                outcome, ignored = mirror.apply_changes(
                    session, event["porsi"], event["data"], event["waktu"], source="push"
                )
                session.execute(
                    table.insert().values(
                        id=event["id"],
                        received_at=mirror.now_iso(),
                        jenis=event["jenis"],
                        porsi=event["porsi"],
                        outcome=outcome,
                    )
                )
        except WireError as exc:
            return _error(400, str(exc), field=exc.field)
        except Exception as exc:
            # Two deliveries of one id at the same moment: the loser hits the primary key.
            with db.session() as session:
                if session.execute(select(table.c.id).where(table.c.id == event["id"])).first():
                    return web.json_response({"status": "duplicate", "id": event["id"]})
            log.error("push event not applied: %s", type(exc).__name__)
            return _error(500, "event not applied; retry later")
        log.info("push event %s (%s): %s", event["id"], event["jenis"], outcome)
        answer: dict[str, Any] = {"status": outcome, "id": event["id"]}
        if ignored:
            answer["ignored"] = ignored
        return web.json_response(answer)

    app.router.add_post(PATH, peristiwa, name="siskohat_peristiwa")

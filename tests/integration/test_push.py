"""POST /integrasi/siskohat/peristiwa: signature, validation, apply once, partial update."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot import privacy
from bot.settings import Settings
from db import repos_verification as ver
from db.models.mirror import PushEvent
from db.models.verification import VerificationFactorChange, VerifiedLink
from integration import mirror
from integration.push import PATH, SIGNATURE_HEADER, add_push_routes, sign
from tests.integration._mirrorrows import row, write

SECRET = "s3cret"


@pytest.fixture
def loaded(db, tmp_path):
    mirror.import_csv(db, write(tmp_path / "e.csv", [row("1300477219", "2024-03-01T00:00:00Z")]))
    return db


@pytest.fixture
async def client(aiohttp_client, loaded):
    app = web.Application()
    add_push_routes(app, loaded, SECRET)
    return await aiohttp_client(app)


def _event(**kw) -> bytes:
    ev = {
        "id": "ev-1",
        "jenis": "istithaah.diperbarui",
        "kd_porsi": "1300477219",
        "data": {
            "status_istithaah": "istithaah dengan pendampingan",
            "tgl_istithaah": "2024-03-04",
        },
        "waktu": "2024-03-05T10:00:00+07:00",
    }
    ev.update(kw)
    return json.dumps(ev).encode()


async def _post(client, body: bytes, signature: str | None = "auto"):
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        signature = sign(body, SECRET)
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return await client.post(PATH, data=body, headers=headers)


def _entry(db):
    with db.session() as s:
        return mirror.get(s, "1300477219")


async def test_good_signature_applies_the_change(client, loaded):
    resp = await _post(client, _event())
    assert resp.status == 200
    assert (await resp.json())["status"] == "applied"
    entry = _entry(loaded)
    assert entry.record.health.istithaah.value == "ISTITHAAH DENGAN PENDAMPINGAN"
    assert entry.record.health.istithaah_date.isoformat() == "2024-03-04"
    assert entry.record.identity.name == "AHMAD FAUZI"
    assert entry.source == "push" and entry.updated_at.isoformat() == "2024-03-05T03:00:00+00:00"


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, "deadbeef", "OTHER"],
)
async def test_bad_signature_401_and_nothing_changed(client, loaded, signature):
    before = _entry(loaded)
    body = _event()
    if signature == "OTHER":
        signature = sign(body, "wrong-secret")
    resp = await _post(client, body, signature)
    assert resp.status == 401
    assert _entry(loaded) == before
    # the id was not consumed either: the genuine delivery still applies
    assert (await (await _post(client, body)).json())["status"] == "applied"


async def test_replayed_id_applied_once(client, loaded):
    assert (await (await _post(client, _event())).json())["status"] == "applied"
    first = _entry(loaded)
    replay = _event(data={"status_istithaah": "TIDAK ISTITHAAH"}, waktu="2024-04-01T00:00:00Z")
    resp = await _post(client, replay)
    assert resp.status == 200 and (await resp.json())["status"] == "duplicate"
    assert _entry(loaded) == first


@pytest.mark.parametrize(
    "body, needle",
    [
        (b"{not json", "JSON"),
        (b"[1, 2]", "object"),
        (_event(jenis="hapus.semua"), "jenis"),
        (_event(kd_porsi="12"), "kd_porsi"),
        (_event(data="x"), "data"),
        (_event(waktu="besok"), "waktu"),
        (_event(id=""), "id"),
        (_event(data={"tgl_istithaah": "2024-02-30"}), "tgl_istithaah"),
    ],
)
async def test_bad_body_400_with_a_clear_error(client, loaded, body, needle):
    before = _entry(loaded)
    resp = await _post(client, body)
    assert resp.status == 400
    payload = await resp.json()
    assert payload["status"] == "error" and needle in payload["error"]
    assert _entry(loaded) == before


async def test_older_event_and_unknown_porsi_acknowledged(client, loaded):
    resp = await _post(client, _event(id="old", waktu="2023-01-01T00:00:00Z"))
    assert (await resp.json())["status"] == "stale"
    resp = await _post(client, _event(id="new", kd_porsi="1300477299"))
    assert (await resp.json())["status"] == "unknown_porsi"
    resp = await _post(client, _event(id="x", data={"vaksin_meningitis": "Y", "warna": "biru"}))
    assert await resp.json() == {"status": "applied", "id": "x", "ignored": ["warna"]}
    assert _entry(loaded).record.health.meningitis_vaccinated is True


@pytest.mark.parametrize("body", [b"[" * 10_000 + b"]" * 10_000, b"null", b"42", b'"x"',
                                  b'{"id": "e", "data": ' + b"[" * 50 + b"]" * 50 + b"}"])
async def test_hostile_bodies_are_400_not_500(client, body):
    resp = await _post(client, body)
    assert resp.status == 400
    assert (await resp.json())["status"] == "error"


# --- waktu: an offset is required, the future is bounded (issue 18, finding 7) ---------------

NOW = datetime(2024, 3, 5, 3, 0, tzinfo=UTC)  # 10:00 WIB


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
async def clocked(aiohttp_client, loaded, clock):
    app = web.Application()
    add_push_routes(app, loaded, SECRET, clock=clock)
    return await aiohttp_client(app)


@pytest.mark.parametrize("waktu", ["2024-03-05T10:00:00", "2024-03-05 10:00", "2024-03-05",
                                   "05-03-2024", 1709607600])
async def test_waktu_without_offset_is_400_and_consumes_nothing(clocked, loaded, waktu):
    before = _entry(loaded)
    resp = await _post(clocked, _event(waktu=waktu))
    assert resp.status == 400
    payload = await resp.json()
    assert payload["status"] == "error" and "waktu" in payload["error"]
    if isinstance(waktu, str) and waktu[:4] == "2024":
        assert "offset" in payload["error"]
    assert _entry(loaded) == before
    # the id was not consumed: the corrected event applies
    resp = await _post(clocked, _event(waktu="2024-03-05T10:00:00+07:00"))
    assert (await resp.json())["status"] == "applied"
    assert _entry(loaded).updated_at == NOW


@pytest.mark.parametrize("ahead, status", [
    (timedelta(minutes=4, seconds=59), 200),
    (timedelta(minutes=5, seconds=1), 400),
    (timedelta(hours=7), 400),  # a WIB wall-clock time mislabelled as UTC
])
async def test_waktu_in_the_future_is_bounded(clocked, loaded, ahead, status):
    waktu = (NOW + ahead).isoformat()
    resp = await _post(clocked, _event(waktu=waktu))
    assert resp.status == status
    if status == 400:
        payload = await resp.json()
        assert "waktu" in payload["error"] and "future" not in payload
        assert "ahead of the server clock" in payload["error"]
        assert payload["server_time"] == "2024-03-05T03:00:00+00:00"
        assert _entry(loaded).updated_at.isoformat() == "2024-03-01T00:00:00+00:00"


async def test_event_dated_2099_cannot_freeze_the_row(client, loaded):
    resp = await _post(client, _event(waktu="2099-01-01T00:00:00Z"))
    assert resp.status == 400
    assert _entry(loaded).updated_at.year == 2024
    # the row is not frozen: a genuine later event still applies
    resp = await _post(client, _event(id="ev-2", waktu="2024-03-05T10:00:00+07:00"))
    assert (await resp.json())["status"] == "applied"


# --- verification factors changed by push: audited, verifications reset ----------------------


def _links(db, porsi):
    """Chats holding a verified link for `porsi`."""
    with db.session() as s:
        return sorted(s.scalars(select(VerifiedLink.chat_id).where(VerifiedLink.porsi == porsi)))


@pytest.fixture
def verified(loaded, tmp_path):
    mirror.import_csv(loaded, write(tmp_path / "f.csv",
                                    [row("1300477220", "2024-03-01T00:00:00Z")]))
    with loaded.session() as s:
        for chat in (11, 12):
            ver.add_link(s, chat_id=chat, user_id=chat, porsi="1300477219", now=NOW,
                         ttl=timedelta(days=30))
        ver.add_link(s, chat_id=11, user_id=11, porsi="1300477220", now=NOW,
                     ttl=timedelta(days=30))
    return loaded


@pytest.mark.parametrize("data, factors", [
    ({"no_hp": "6281299990000"}, ["no_hp"]),
    ({"tgl_lahir": "1958-03-15"}, ["tgl_lahir"]),
    ({"no_hp": "", "tgl_lahir": "15-03-1958", "nama": "X"}, ["no_hp", "tgl_lahir"]),
])
async def test_factor_change_is_audited_and_resets_verifications(clocked, verified, data,
                                                                 factors):
    resp = await _post(clocked, _event(id="ev-hp", jenis="status.diperbarui", data=data))
    assert (await resp.json())["status"] == "applied"
    assert _links(verified, "1300477219") == []  # both chats must verify again
    assert _links(verified, "1300477220") == [11]  # another porsi untouched
    with verified.session() as s:
        changes = ver.factor_changes(s, porsi="1300477219")
        raw = [tuple(r) for r in s.execute(select(VerificationFactorChange.__table__)).all()]
    assert [(c.factor, c.source, c.event_id, c.changed_at, c.links_reset) for c in changes] == [
        (f, "push", "ev-hp", NOW, 2) for f in factors]
    # never the values
    flat = repr(raw)
    assert "6281299990000" not in flat and "1958" not in flat and "6281234567890" not in flat


@pytest.mark.parametrize("data, waktu", [
    ({"no_hp": "6281234567890", "tgl_lahir": "14-03-1958"}, "2024-03-05T10:00:00+07:00"),  # same
    ({"status_istithaah": "ISTITHAAH"}, "2024-03-05T10:00:00+07:00"),  # not a factor
    ({"no_hp": "6281299990000"}, "2023-01-01T00:00:00Z"),  # stale: nothing written
])
async def test_no_factor_change_keeps_verifications(clocked, verified, data, waktu):
    resp = await _post(clocked, _event(id="ev-x", data=data, waktu=waktu))
    assert resp.status == 200
    assert _links(verified, "1300477219") == [11, 12]
    with verified.session() as s:
        assert ver.factor_changes(s) == []


async def test_bad_factor_event_changes_nothing(clocked, verified):
    resp = await _post(clocked, _event(data={"no_hp": "6281299990000",
                                             "tgl_lahir": "1958-02-30"}))
    assert resp.status == 400
    assert _links(verified, "1300477219") == [11, 12]
    with verified.session() as s:
        assert mirror.stored_values(s, "1300477219")["no_hp"] == "6281234567890"
        assert ver.factor_changes(s) == []


# --- push event ids are purged by the retention job ---------------------------------------


async def test_event_ids_purged_after_the_retention_period(clocked, loaded, clock):
    assert (await (await _post(clocked, _event())).json())["status"] == "applied"
    settings = Settings(push_event_retention_days=30)
    counts = privacy.purge(loaded, settings, NOW + timedelta(days=29), keep_failures=timedelta(0))
    assert counts["push_events"] == 0
    # a retry inside the period is still recognised
    clock.now = NOW + timedelta(days=29)
    assert (await (await _post(clocked, _event())).json())["status"] == "duplicate"
    counts = privacy.purge(loaded, settings, NOW + timedelta(days=30, seconds=1),
                           keep_failures=timedelta(0))
    assert counts["push_events"] == 1
    with loaded.session() as s:
        assert s.scalar(select(func.count()).select_from(PushEvent)) == 0

"""POST /integrasi/siskohat/peristiwa: signature, validation, apply once, partial update."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

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

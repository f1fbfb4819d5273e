"""/pelunasan through the real Application: public level, verification, lock-out, /akun, audit."""

from __future__ import annotations

import logging
from datetime import date, datetime

import pytest
from sqlalchemy import text

from db import repos_verification as repo
from knowledge.records import Health, History, Identity, Payoff, PilgrimRecord, WaitingList
from knowledge.values import Istithaah, MaritalStatus, PaymentStatus, PilgrimStatus, Tahap
from tests.e2e.harness import WIB

PORSI = "1300477219"
UNKNOWN_PORSI = "1300999999"
PHONE = "6281234567890"
CHAT = 111
SHARE = "Bagikan nomor HP saya"
VERIFY = "Verifikasi untuk rincian pelunasan"


def make_record(porsi: str = PORSI, istithaah: Istithaah = Istithaah.ISTITHAAH,
                phone: str | None = PHONE) -> PilgrimRecord:
    return PilgrimRecord(
        porsi=porsi,
        identity=Identity(name="SITI AMINAH", birth_date=date(1960, 8, 17),
                          marital_status=MaritalStatus.KAWIN, phone=phone,
                          status=PilgrimStatus.AKTIF, bank="BANK CONTOH SYARIAH"),
        waiting=WaitingList(province="JAWA BARAT", regency="KAB. BOGOR", position=120,
                            quota=1000, payment_status=PaymentStatus.BELUM_LUNAS),
        payoff=Payoff(season_hijri=1448, tahap=Tahap.I, status=PaymentStatus.BELUM_LUNAS,
                      embarkation="JKG", bipih=56_046_172, initial_deposit=25_000_000,
                      benefit_value=1_000_000, amount_due=30_046_172,
                      account_number="7001234567"),
        health=Health(istithaah=istithaah, meningitis_vaccinated=True, fit_to_fly=True),
        history=History(performed_hajj=False),
    )


@pytest.fixture(autouse=True)
def pinned(clock):
    clock.set(datetime(2027, 1, 10, 10, 0, tzinfo=WIB))  # inside the Tahap I window of 1448.1


@pytest.fixture
async def h(make_harness, fake_gateway):
    fake_gateway.add(make_record())
    async with make_harness(settings_overrides={"throttle_burst": 1000}) as harness:
        harness.api.add_user(CHAT, phone="+62 812-3456-7890")
        yield harness


async def verify(h, porsi=PORSI, birth="17 agustus 1960", chat=CHAT, contact=None):
    await h.send(chat, f"/pelunasan {porsi}")
    await h.press(VERIFY, chat_id=chat)
    if contact is None:
        await h.press(SHARE, chat_id=chat)
    else:
        await h.send(chat, contact=contact)
    return await h.send(chat, birth)


async def test_public_level_then_verified_details(h):
    r = await h.send(CHAT, "/pelunasan")
    assert "nomor porsi" in r.text.lower()
    r = await h.send(CHAT, PORSI)
    assert "S*** A*****" in r.text
    assert "Tahap I" in r.text
    # unverified: no verdict with health data, no amounts, no account
    assert "istithaah kesehatan:" not in r.text.lower()
    assert "30.046.172" not in r.text and "7001234567" not in r.text
    assert VERIFY in r.buttons
    assert h.outcome()["topic"] == "pelunasan"
    r = await h.press(VERIFY)
    assert SHARE in r.buttons
    assert r[0].reply_markup["keyboard"][0][0]["request_contact"] is True
    r = await h.press(SHARE)
    assert "tanggal lahir" in r.text.lower()
    r = await h.send(CHAT, "17-08-1960")
    assert "Verifikasi berhasil" in r.text
    assert "dapat melakukan pelunasan pada Tahap I" in r.text
    assert "Rp 30.046.172" in r.text and "Rp 56.046.172" in r.text
    assert "******4567" in r.text and "7001234567" not in r.text
    assert "JKG" in r.text
    assert "kebijakan musim ini" in r.text  # the schedule is the policy's, cited as such
    assert "Kebijakan pelunasan versi 1448.1" in r.text
    assert "Evaluasi Integrasi Siskohat-Siskohatkes" in r.text  # seed 000 cited
    assert "Hubungi petugas" in r.buttons
    assert any(b.startswith("Siapa") or "Tahap I" in b or "tahap" in b.lower()
               for b in r.buttons)  # a knowledge-base entry is offered
    with h.db.session() as s:
        assert repo.is_verified(s, CHAT, PORSI, h.services.clock())
        views = repo.audit_views(s, porsi=PORSI)
    assert [(v.chat_id, v.kind) for v in views] == [(CHAT, "pelunasan")]
    assert "flow" not in h.chat_data(CHAT)


async def test_verified_chat_sees_details_without_asking_again(h):
    await verify(h)
    r = await h.send(CHAT, "/pelunasan")
    assert f"Porsi {PORSI}" in r.buttons
    r = await h.press(f"Porsi {PORSI}")
    assert "Rp 30.046.172" in r.text
    with h.db.session() as s:
        assert len(repo.audit_views(s, porsi=PORSI)) == 2  # every view is audited


async def test_wrong_phone_fails(h):
    r = await verify(h, contact="081299999999")
    assert "Verifikasi tidak berhasil" in r.text
    assert "Rp " not in r.text
    with h.db.session() as s:
        assert not repo.is_verified(s, CHAT, PORSI, h.services.clock())
        assert repo.failure_count(s, porsi=PORSI) == 1


async def test_wrong_birth_date_fails(h):
    r = await verify(h, birth="18-08-1960")
    assert "Verifikasi tidak berhasil" in r.text
    with h.db.session() as s:
        assert repo.failure_count(s, chat_id=CHAT) == 1


async def test_someone_elses_contact_is_refused(h):
    await h.send(CHAT, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    r = await h.send(CHAT, contact={"phone_number": PHONE, "first_name": "Ibu",
                                    "user_id": 999})
    assert "Kirim kontak Anda sendiri" in r.text
    assert SHARE in r.buttons  # asked again, not moved on
    assert h.chat_data(CHAT)["flow_state"]["step"] == "contact"


async def test_typed_phone_is_not_accepted(h):
    await h.send(CHAT, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    r = await h.send(CHAT, "081234567890")
    assert "tidak dapat diketik" in r.text


async def test_same_reply_for_unknown_and_existing_porsi(h):
    existing = await verify(h, contact="081299999999")
    unknown = await verify(h, porsi=UNKNOWN_PORSI, chat=222, contact="081299999999")
    assert existing.text.replace(PORSI, "X") == unknown.text.replace(UNKNOWN_PORSI, "X")
    assert existing.buttons == unknown.buttons
    # and the verification steps ran for the unknown porsi too
    with h.db.session() as s:
        assert repo.failure_count(s, porsi=UNKNOWN_PORSI) == 1


async def test_no_phone_on_record_fails_like_any_mismatch(h, fake_gateway):
    fake_gateway.add(make_record(porsi="1300477222", phone=None))
    r = await verify(h, porsi="1300477222")
    assert "Verifikasi tidak berhasil" in r.text
    assert "Kankemenag" in r.text


async def test_lockout_and_its_expiry(h, clock):
    for _ in range(3):
        r = await verify(h, birth="01-01-1970")
    assert "dikunci sementara" in r.text
    r = await h.send(CHAT, f"/pelunasan {PORSI}")
    r = await h.press(VERIFY)
    assert "dikunci sementara" in r.text
    assert SHARE not in r.buttons
    # the real owner in a fresh chat is never locked out by someone else's failures
    h.api.add_user(333, phone="+62 812-3456-7890")
    r = await verify(h, chat=333)
    assert "Verifikasi berhasil" in r.text
    clock.advance(minutes=61)
    r = await verify(h)
    assert "Verifikasi berhasil" in r.text


async def test_lockout_per_chat_across_porsi(h, fake_gateway):
    for i in range(3):
        await verify(h, porsi=f"130099999{i}", birth="01-01-1970")
    await h.send(CHAT, f"/pelunasan {PORSI}")
    r = await h.press(VERIFY)
    assert "dikunci sementara" in r.text


async def test_no_health_value_in_logs_or_audit(h, fake_gateway, caplog):
    fake_gateway.add(make_record(porsi="1300477233", istithaah=Istithaah.TIDAK_SEMENTARA))
    # Production logs at INFO; our own modules are checked down to DEBUG. (python-telegram-bot
    # itself logs whole API requests at DEBUG, so its logger must never run at DEBUG in
    # production.)
    caplog.set_level(logging.INFO)
    for name in ("handlers", "bot", "knowledge", "integration"):
        caplog.set_level(logging.DEBUG, logger=name)
    await verify(h, porsi="1300477233", contact="081299999999")  # a failure ...
    with h.db.engine.connect() as c:
        fails = c.execute(text("SELECT * FROM verification_failures")).mappings().all()
    r = await verify(h, porsi="1300477233")  # ... and a success
    assert "tidak memenuhi syarat sementara" in r.text
    logged = caplog.text.upper()
    for secret in ("ISTITHAAH", "TIDAK", "SEMENTARA", "1960", "812", "AMINAH"):
        assert secret not in logged, secret
    with h.db.engine.connect() as c:
        rows = c.execute(text("SELECT * FROM personal_data_views")).mappings().all()
        links = c.execute(text("SELECT * FROM verified_links")).mappings().all()
    assert rows and links and fails
    dumped = repr([dict(x) for x in (*rows, *links, *fails)]).upper()
    for secret in ("ISTITHAAH", "TIDAK", "SEMENTARA", "1960-08-17", PHONE):
        assert secret not in dumped, secret
    assert set(rows[0].keys()) == {"id", "chat_id", "user_id", "porsi", "kind", "viewed_at"}


async def test_unverified_public_level_hides_istithaah_verdict(h, fake_gateway):
    fake_gateway.add(make_record(porsi="1300477244", istithaah=Istithaah.TIDAK))
    r = await h.send(CHAT, "/pelunasan 1300477244")
    assert "istithaah" not in r.text.lower().replace("istithaah kesehatan, vaksinasi", "")
    assert "tidak memenuhi" not in r.text.lower()


async def test_akun_list_remove_and_expiry(h, clock):
    await verify(h)
    r = await h.send(CHAT, "/akun")
    assert h.outcome()["topic"] == "akun"  # its own topic, not pelunasan
    assert PORSI in r.text and "9 Februari 2027" in r.text  # 30 days after 10 January
    assert r.buttons[-1] == "Menu"  # a way back besides the remove buttons
    r = await h.press(f"Hapus tautan porsi {PORSI}")
    assert "sudah dihapus" in r.text
    with h.db.session() as s:
        assert repo.active_links(s, CHAT, clock()) == []
    await verify(h)
    clock.advance(days=31)
    r = await h.send(CHAT, "/akun")
    assert "Belum ada nomor porsi" in r.text and r.buttons == ["Hapus data saya", "Menu"]
    r = await h.send(CHAT, f"/pelunasan {PORSI}")
    assert "Rp 30.046.172" not in r.text and VERIFY in r.buttons  # asked to verify again


async def test_cancel_at_each_step(h):
    await h.send(CHAT, "/pelunasan")
    r = await h.send(CHAT, "/batal")
    assert "dihentikan" in r.text and "flow" not in h.chat_data(CHAT)
    await h.send(CHAT, f"/pelunasan {PORSI}")
    r = await h.press("Batal")
    assert "dihentikan" in r.text
    await h.send(CHAT, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    r = await h.press("Batal")  # the reply-keyboard button sends the text
    assert "dihentikan" in r.text and "flow" not in h.chat_data(CHAT)
    await h.send(CHAT, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    await h.press(SHARE)
    r = await h.send(CHAT, "/batal")
    assert "dihentikan" in r.text


async def test_bad_inputs_in_the_flow(h):
    await h.send(CHAT, "/pelunasan")
    r = await h.send(CHAT, "12345678")
    assert "10 angka" in r.text
    await h.send(CHAT, f"{PORSI}")
    await h.press(VERIFY)
    await h.press(SHARE)
    r = await h.send(CHAT, "kemarin sore")
    assert "tidak dapat kami baca" in r.text
    assert h.chat_data(CHAT)["flow_state"]["step"] == "birth"  # still waiting, not a failure
    with h.db.session() as s:
        assert repo.failure_count(s, chat_id=CHAT) == 0


async def test_menu_button_and_handoff(h):
    r = await h.callback(CHAT, "pelunasan:start", message_id=1)
    assert "nomor porsi" in r.text.lower()
    await h.send(CHAT, PORSI)
    await h.press("Hubungi petugas")
    assert h.outcome()["handoff"] is True


async def test_english(h):
    h.api.add_user(444, phone="081234567890", language_code="en")
    await h.send(444, "/bahasa en", language_code="en")  # button presses carry no language
    await h.send(444, f"/pelunasan {PORSI}", language_code="en")
    r = await h.press("Verify to see payoff details", chat_id=444)
    assert "Share my phone number" in r.buttons
    await h.press("Share my phone number", chat_id=444)
    r = await h.send(444, "1960-08-17", language_code="en")
    assert "You may pay off in Tahap I" in r.text


async def test_restart_mid_verification(h):
    await h.send(CHAT, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    await h.press(SHARE)
    await h.restart()
    r = await h.send(CHAT, "17 agustus 1960")
    assert "Verifikasi berhasil" in r.text


async def test_lookups_are_rate_limited_per_hour(make_harness, fake_gateway, clock):
    fake_gateway.add(make_record())
    async with make_harness(settings_overrides={"throttle_burst": 1000,
                                                "status_lookups_per_hour": 2}) as h:
        await h.send(CHAT, f"/pelunasan {PORSI}")
        await h.send(CHAT, f"/pelunasan {UNKNOWN_PORSI}")
        r = await h.send(CHAT, "/pelunasan 1300477255")
        assert "dibatasi" in r.text
        assert fake_gateway.lookups.count("1300477255") == 0  # no lookup made
        clock.advance(minutes=61)
        r = await h.send(CHAT, "/pelunasan 1300477255")
        assert "dibatasi" not in r.text


async def test_failed_verification_says_how_many_tries_are_left(h):
    r = await verify(h, birth="01-01-1970")
    assert "mencoba 2 kali lagi" in r.text
    r = await verify(h, birth="01-01-1970")
    assert "mencoba 1 kali lagi" in r.text
    r = await verify(h, birth="01-01-1970")
    assert "kali lagi" not in r.text and "dikunci sementara" in r.text


async def test_impossible_birth_date_is_worded_like_the_pelimpahan_guide(h):
    await h.send(CHAT, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    await h.press(SHARE)
    r = await h.send(CHAT, "31-02-1953")
    assert 'Tanggal "31-02-1953" tidak ada di kalender' in r.text
    r = await h.send(CHAT, "01-01-2090")
    assert "belum lewat" in r.text
    assert h.chat_data(CHAT)["flow_state"]["step"] == "birth"


async def test_stray_word_while_waiting_for_the_porsi_keeps_the_flow(h):
    await h.send(CHAT, "/pelunasan")
    r = await h.send(CHAT, "halo")
    assert "menunggu nomor porsi" in r.text and "/batal" in r.text
    assert "Batal" in r.buttons
    assert h.chat_data(CHAT)["flow"] == "pelunasan"
    r = await h.send(CHAT, PORSI)  # the number still works afterwards
    assert VERIFY in r.buttons


async def test_question_while_waiting_for_the_porsi_leaves_the_flow_and_is_answered(h):
    await h.send(CHAT, "/pelunasan")
    r = await h.send(CHAT, "apa itu lunas tunda?")
    assert "Pengecekan pelunasan saya hentikan" in r.text
    assert "flow" not in h.chat_data(CHAT)
    assert h.outcome()["topic"] == "lunas-tunda"


async def test_strangers_failures_never_lock_the_owner_out(h):
    for chat in (222, 223, 224, 225):  # strangers fail on the owner's porsi, again and again
        for _ in range(3):
            await verify(h, chat=chat, contact="081299999999")
    r = await verify(h, birth="01-01-1970")  # the owner's own first slip
    assert "mencoba 2 kali lagi" in r.text
    r = await verify(h)  # the owner: matching contact, right date
    assert "Verifikasi berhasil" in r.text


async def test_tries_left_is_the_same_for_an_unknown_porsi(h):
    # the same history of other chats' failures on an existing and on an unknown porsi
    await verify(h, chat=222, contact="081299999999")
    await verify(h, porsi=UNKNOWN_PORSI, chat=333, contact="081299999999")
    existing = await verify(h, chat=444, contact="081299999999")
    unknown = await verify(h, porsi=UNKNOWN_PORSI, chat=555, contact="081299999999")
    assert "mencoba 2 kali lagi" in existing.text  # others' failures cost this chat nothing
    assert existing.text.replace(PORSI, "X") == unknown.text.replace(UNKNOWN_PORSI, "X")
    assert existing.buttons == unknown.buttons


async def test_bahasa_mid_verification_repeats_the_pending_step(h):
    await h.send(CHAT, f"/pelunasan {PORSI}")
    await h.press(VERIFY)
    r = await h.send(CHAT, "/bahasa en")
    assert "still open" in r.text and "Share my phone number" in r.text
    assert "Share my phone number" in r.buttons and "Check porsi status" not in r.buttons
    assert r[-1].reply_markup["keyboard"][0][0]["request_contact"] is True
    await h.press("Share my phone number")
    r = await h.send(CHAT, "/bahasa id")
    assert "masih terbuka" in r.text and "ketik tanggal lahir" in r.text
    r = await h.send(CHAT, "17-08-1960")  # still answers the birth-date step
    assert "Verifikasi berhasil" in r.text


async def test_bahasa_while_porsi_or_verify_button_is_awaited(h):
    await h.send(CHAT, "/pelunasan")
    r = await h.send(CHAT, "/bahasa en")
    assert "still open" in r.text and "10 digits" in r.text and "Cancel" in r.buttons
    await h.send(CHAT, PORSI)
    r = await h.send(CHAT, "/bahasa id")
    assert "masih terbuka" in r.text and VERIFY in r.buttons
    r = await h.press(VERIFY)
    assert SHARE in r.buttons

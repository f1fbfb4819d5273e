"""The public status view (knowledge/status_view.py) and its rendering (status_result.j2)."""

import dataclasses
import html
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from handlers.base import render
from knowledge.records import (
    Health,
    History,
    Identity,
    Payoff,
    PilgrimRecord,
    WaitingList,
)
from knowledge.status_view import StatusView, build_status_view
from knowledge.values import Istithaah, PaymentStatus, PilgrimStatus

WIB = ZoneInfo("Asia/Jakarta")
TODAY = date(2026, 11, 20)  # after Idul Adha 1447: the coming season is 1448 H (2027 M)
AS_OF = datetime(2026, 11, 1, 3, 5, tzinfo=UTC)  # 10.05 WIB


def record(**over) -> PilgrimRecord:
    base = dict(
        porsi="1300477219",
        identity=Identity(name="Siti Aminah", registered_on=date(2012, 3, 4),
                          status=PilgrimStatus.AKTIF, phone="6281234567890",
                          birth_date=date(1960, 1, 2), bank="Bank Syariah Contoh"),
        waiting=WaitingList(province="Jawa Barat", regency="Kab. Bandung", position=1500,
                            quota=1000, payment_status=PaymentStatus.BELUM_LUNAS),
        payoff=Payoff(bipih=55_000_000, amount_due=30_000_000, account_number="1234567"),
        health=Health(istithaah=Istithaah.TIDAK),
        history=History(performed_hajj=False),
    )
    base.update(over)
    return PilgrimRecord(**base)


def view(rec=None, source="live", as_of=AS_OF, down=False) -> StatusView:
    return build_status_view(rec or record(), source=source, as_of=as_of, today=TODAY,
                             siskohat_down=down, tz=WIB)


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_public_fields_and_computed_estimate():
    v = view()
    assert v.name == "S*** A*****"
    assert (v.regency, v.province, v.position, v.quota) == ("Kab. Bandung", "Jawa Barat", 1500, 1000)
    assert v.payment == "BELUM_LUNAS" and v.status == "AKTIF" and v.waiting
    # 1500 / 1000 -> the second season from now: 1449 H
    assert (v.estimate.season_hijri, v.estimate.year_masehi) == (1449, 2028)
    assert v.estimate.computed and v.estimate.seasons_to_go == 2
    assert v.registered_year == 2012


def test_siskohat_estimate_wins_over_computation():
    rec = record(waiting=WaitingList(position=1500, quota=1000, departure_year=2031,
                                     departure_season_hijri=1452))
    e = view(rec).estimate
    assert (e.season_hijri, e.year_masehi, e.computed) == (1452, 2031, False)
    assert e.seasons_to_go == 1452 - 1448 + 1


def test_siskohat_hijri_only_gets_masehi_from_the_calendar():
    e = view(record(waiting=WaitingList(departure_season_hijri=1461))).estimate
    assert (e.season_hijri, e.year_masehi, e.computed) == (1461, 2039, False)


def test_no_position_or_quota_means_no_estimate():
    assert view(record(waiting=WaitingList(position=5, quota=0))).estimate is None
    assert view(record(waiting=WaitingList())).estimate is None


@pytest.mark.parametrize("source, show_date, down", [
    ("live", False, False), ("mirror", True, False), ("stale", True, True)])
def test_freshness_per_source(source, show_date, down):
    f = view(source=source).freshness
    assert (f.source, f.show_date, f.siskohat_down) == (source, show_date, down)
    assert f.as_of == datetime(2026, 11, 1, 10, 5, tzinfo=WIB)


def test_source_enum_is_accepted():
    from integration.gateway import Source

    assert view(source=Source.STALE).freshness.source == "stale"


def test_naive_as_of_is_utc():
    f = view(as_of=datetime(2026, 11, 1, 3, 5)).freshness
    assert (f.as_of.hour, f.as_of.minute) == (10, 5)


def test_unknown_status_and_payment_keep_the_raw_text():
    rec = record(identity=Identity(status=PilgrimStatus.UNKNOWN),
                 waiting=WaitingList(payment_status=PaymentStatus.UNKNOWN),
                 unknown_values={"identity.status": "DITUNDA", "waiting.payment_status": "CICIL"})
    v = view(rec)
    assert (v.status, v.status_raw, v.payment, v.payment_raw) == (
        "UNKNOWN", "DITUNDA", "UNKNOWN", "CICIL")
    assert v.waiting  # an unknown status still shows the waiting data


@pytest.mark.parametrize("status", [PilgrimStatus.WAFAT, PilgrimStatus.SAKIT_PERMANEN,
                                    PilgrimStatus.BATAL, PilgrimStatus.BERANGKAT,
                                    PilgrimStatus.DILIMPAHKAN])
def test_no_estimate_once_the_wait_is_over(status):
    v = view(record(identity=Identity(status=status)))
    assert not v.waiting and v.estimate is None
    # sakit permanen is health data: the public card does not say it (nor point at it)
    assert v.pelimpahan_possible == (status is PilgrimStatus.WAFAT)
    assert (v.status == "RESTRICTED") == (status is PilgrimStatus.SAKIT_PERMANEN)


def test_bare_record_does_not_crash():
    v = view(PilgrimRecord(porsi="1300477219"), as_of=None)
    assert v.name == "" and v.estimate is None and v.status is None and v.payment is None
    for lang in ("id", "en"):
        assert "1300477219" in render(lang, "status_result.j2", v=v)


def test_view_holds_no_private_data():
    names = {f.name for f in dataclasses.fields(StatusView)}
    assert not names & {"phone", "birth_date", "bank", "health", "istithaah", "bipih",
                        "amount_due", "account_number", "payoff"}
    text = render("id", "status_result.j2", v=view())
    for secret in ("6281234567890", "1960", "Bank Syariah", "55.000.000", "30.000.000",
                   "1234567", "istithaah", "Siti"):
        assert secret.lower() not in text.lower()


def test_render_indonesian_live():
    text = plain(render("id", "status_result.j2", v=view()))
    assert "S*** A*****" in text
    assert "Kab/kota: Kab. Bandung" in text and "Provinsi: Jawa Barat" in text
    assert "Posisi porsi: 1.500" in text and "Kuota wilayah: 1.000" in text
    assert "1449 H / 2028 M (perkiraan dihitung)" in text
    assert "Status pembayaran: belum lunas" in text
    assert "Terdaftar tahun 2012, sekitar 2 musim haji lagi." in text
    assert "berubah bila kuota berubah" in text
    assert "Data terbaru dari Siskohat." in text
    assert "Data per" not in text


def test_render_sent_estimate_is_labelled_siskohat():
    rec = record(waiting=WaitingList(departure_year=2031, departure_season_hijri=1452))
    assert "1452 H / 2031 M (perkiraan Siskohat)" in plain(render("id", "status_result.j2",
                                                                  v=view(rec)))
    assert "(Siskohat's estimate)" in plain(render("en", "status_result.j2", v=view(rec)))


def test_render_mirror_and_stale_dates():
    mirror = plain(render("id", "status_result.j2", v=view(source="mirror")))
    assert "Data per 1 November 2026 pukul 10.05 WIB." in mirror
    stale = plain(render("id", "status_result.j2", v=view(source="stale", down=True)))
    assert "Siskohat sedang tidak dapat dihubungi; data per 1 November 2026" in stale
    en = plain(render("en", "status_result.j2", v=view(source="stale", down=True)))
    assert "Siskohat cannot be reached right now; data as of 1 November 2026, 10:05 WIB" in en


def test_render_statuses_explained():
    wafat = plain(render("id", "status_result.j2",
                         v=view(record(identity=Identity(status=PilgrimStatus.WAFAT)))))
    assert "wafat" in wafat and "/pelimpahan" in wafat and "Perkiraan berangkat" not in wafat
    unknown = record(identity=Identity(status=PilgrimStatus.UNKNOWN),
                     unknown_values={"identity.status": "DITUNDA"})
    assert 'tercatat "DITUNDA"' in plain(render("id", "status_result.j2", v=view(unknown)))
    assert 'recorded as "DITUNDA"' in plain(render("en", "status_result.j2", v=view(unknown)))
    batal = plain(render("id", "status_result.j2",
                         v=view(record(identity=Identity(status=PilgrimStatus.BATAL)))))
    assert "dibatalkan" in batal


def test_markup_in_data_is_escaped():
    rec = record(identity=Identity(name="<b>Siti</b>"),
                 waiting=WaitingList(regency="<i>Kab</i> & Co", province="<script>"))
    out = render("id", "status_result.j2", v=view(rec))
    assert "<i>Kab</i>" not in out and "&lt;i&gt;Kab&lt;/i&gt; &amp; Co" in out
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_the_coming_season_is_worded_as_such():
    rec = record(waiting=WaitingList(position=10, quota=1000))
    assert "musim haji terdekat" in plain(render("id", "status_result.j2", v=view(rec)))


@pytest.mark.parametrize("lang", ["id", "en"])
def test_coming_season_card_states_the_age_and_istithaah_rule_without_personal_data(lang):
    from integration.demo import DEMO_PORSI, showcase_rows
    from integration.wire import record_from_wire

    minor = record_from_wire(dict(zip(DEMO_PORSI, showcase_rows(), strict=True))["minor"])
    v = view(minor)
    assert v.estimate.seasons_to_go == 1
    text = plain(render(lang, "status_result.j2", v=v))
    rule = ("usia minimal 18 tahun atau sudah menikah, dan istithaah kesehatan" if lang == "id"
            else "at least 18 or married, and health eligibility (istithaah)")
    assert text.count(rule) == 1
    assert "2010" not in text and "16 tahun" not in text and "16 years" not in text
    # a pilgrim several seasons away does not get the line
    later = plain(render(lang, "status_result.j2", v=view()))
    assert rule not in later

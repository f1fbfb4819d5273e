"""The mirror: CSV import (idempotent, ordered, malformed rows), upserts, partial updates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db import migrate
from db.engine import Database
from integration import mirror
from integration.mirror import EventOutcome, ExportFormatError
from integration.wire import EXPORT_COLUMNS, WireError
from knowledge.values import PilgrimStatus
from tests.integration._mirrorrows import row, write


@pytest.fixture
def mdb(any_db_url):
    migrate.upgrade(any_db_url)
    database = Database(any_db_url)
    yield database
    database.dispose()


def _get(db, porsi):
    with db.session() as s:
        return mirror.get(s, porsi)


def test_import_then_same_file_again_changes_nothing(mdb, tmp_path):
    path = write(tmp_path / "e.csv", [row("1300477219"), row("1300477220", nama="SITI")])
    first = mirror.import_csv(mdb, path)
    assert (first.read, first.inserted, first.updated, first.unchanged) == (2, 2, 0, 0)
    before = _get(mdb, "1300477219")
    again = mirror.import_csv(mdb, path)
    assert (again.read, again.inserted, again.updated, again.unchanged) == (2, 0, 0, 2)
    after = _get(mdb, "1300477219")
    assert after == before  # not even fetched_at moved
    entry = _get(mdb, "1300477220")
    assert entry.record.identity.name == "SITI"
    assert entry.source == "batch"
    assert entry.updated_at == datetime(2024, 3, 1, 3, 0, tzinfo=UTC)


def test_older_row_in_later_file_never_overwrites_newer_does(mdb, tmp_path):
    mirror.import_csv(mdb, write(tmp_path / "a.csv", [row("1300477219", "2024-03-02T00:00:00Z")]))
    older = write(tmp_path / "b.csv", [row("1300477219", "2024-03-01T23:59:59Z", nama="OLD")])
    rep = mirror.import_csv(mdb, older)
    assert (rep.updated, rep.unchanged) == (0, 1)
    assert _get(mdb, "1300477219").record.identity.name == "AHMAD FAUZI"
    # same instant written with another offset is as old, not newer
    same = write(tmp_path / "c.csv", [row("1300477219", "2024-03-02T07:00:00+07:00", nama="X")])
    assert mirror.import_csv(mdb, same).unchanged == 1
    newer = write(tmp_path / "d.csv", [row("1300477219", "2024-03-02T08:00:00+07:00", nama="NEW")])
    rep = mirror.import_csv(mdb, newer)
    assert (rep.inserted, rep.updated) == (0, 1)
    assert _get(mdb, "1300477219").record.identity.name == "NEW"


def test_duplicate_porsi_in_one_file_newest_wins(mdb, tmp_path):
    path = write(
        tmp_path / "e.csv",
        [
            row("1300477219", "2024-01-02T00:00:00Z", posisiporsi="20"),
            row("1300477219", "2024-01-03T00:00:00Z", posisiporsi="30"),
            row("1300477219", "2024-01-01T00:00:00Z", posisiporsi="10"),
        ],
    )
    rep = mirror.import_csv(mdb, path)
    assert (rep.read, rep.inserted, rep.updated, rep.unchanged) == (3, 1, 1, 1)
    assert _get(mdb, "1300477219").record.waiting.position == 30


def test_malformed_rows_reported_with_line_numbers_rest_imported(mdb, tmp_path):
    good = row("1300477219")
    path = write(
        tmp_path / "e.csv",
        [
            good,  # line 2
            row("13004772", nama="SHORT PORSI"),  # line 3
            "1300477221,TOO,FEW,COLUMNS",  # line 4
            row("1300477222", tgl_lahir="31-02-1960"),  # line 5: impossible date
            row("1300477223", posisiporsi="dua belas"),  # line 6
            row("1300477224", updated_at="kemarin"),  # line 7
            row("1300477225", updated_at=""),  # line 8
            row("1300477226", tgl_lahir="14-03-1958", posisiporsi=" 1.234 "),  # line 9: fine
        ],
    )
    rep = mirror.import_csv(mdb, path)
    lines = {(b.line, b.field) for b in rep.malformed}
    assert lines == {
        (3, "kd_porsi"),
        (4, None),
        (5, "tgl_lahir"),
        (6, "posisiporsi"),
        (7, "updated_at"),
        (8, "updated_at"),
    }
    assert (rep.read, rep.inserted) == (8, 2)
    lenient = _get(mdb, "1300477226").record
    assert lenient.identity.birth_date.isoformat() == "1958-03-14"
    assert lenient.waiting.position == 1234
    assert _get(mdb, "1300477222") is None


def test_header_mismatch_is_an_error_before_anything_is_imported(mdb, tmp_path):
    path = tmp_path / "bad.csv"
    cols = list(EXPORT_COLUMNS)
    cols[1], cols[2] = cols[2], cols[1]
    path.write_text(",".join(cols) + "\n1300477219" + ",x" * 36 + "\n")
    with pytest.raises(ExportFormatError, match="header"):
        mirror.import_csv(mdb, path)
    with pytest.raises(ExportFormatError):
        mirror.import_csv(mdb, tmp_path / "missing.csv")
    with mdb.session() as s:
        assert mirror.count(s) == 0


def test_empty_values_stored_as_null_and_read_back(mdb, tmp_path):
    mirror.import_csv(mdb, write(tmp_path / "e.csv", [row("1300477219", status_nikah="")]))
    with mdb.session() as s:
        values = mirror.stored_values(s, "1300477219")
        stored = (values["status_nikah"], values["tgl_istithaah"])
    assert tuple(stored) == (None, None)
    assert _get(mdb, "1300477219").record.identity.marital_status is None


def test_chunked_import_counts_across_chunks(mdb, tmp_path):
    rows = [row(f"13{i:08d}") for i in range(25)]
    rep = mirror.import_csv(mdb, write(tmp_path / "e.csv", rows), chunk_rows=7)
    assert rep.inserted == 25
    with mdb.session() as s:
        assert mirror.count(s) == 25


def test_upsert_records_rules_and_live_confirmation(mdb):
    t1 = datetime(2024, 1, 1, tzinfo=UTC)
    with mdb.session() as s:
        rep = mirror.upsert_records(
            s, [row("1300477219", "2024-03-01T00:00:00Z"), row("12", "x")], source="feed"
        )
    assert (rep.inserted, len(rep.malformed)) == (1, 1)
    assert rep.malformed[0].line == 2
    entry = _get(mdb, "1300477219")
    # a live fetch of the same version refreshes fetched_at (Siskohat confirmed it)
    with mdb.session() as s:
        rep = mirror.upsert_records(
            s, [entry.record], source="live", fetched_at=t1.replace(year=2030)
        )
    assert rep.unchanged == 1
    confirmed = _get(mdb, "1300477219")
    assert confirmed.fetched_at.year == 2030 and confirmed.source == "live"
    # an older feed row changes nothing
    with mdb.session() as s:
        rep = mirror.upsert_records(
            s, [row("1300477219", "2023-01-01T00:00:00Z", nama="O")], source="feed"
        )
    assert rep.unchanged == 1
    assert _get(mdb, "1300477219").record.identity.name == "AHMAD FAUZI"


def test_apply_changes_partial_update(mdb, tmp_path):
    mirror.import_csv(mdb, write(tmp_path / "e.csv", [row("1300477219", "2024-03-01T00:00:00Z")]))
    at = datetime(2024, 3, 5, tzinfo=UTC)
    with mdb.session() as s:
        outcome, ignored = mirror.apply_changes(
            s, "1300477219", {"status_jemaah": "wafat", "tgl_istithaah": "05-03-2024", "x": 1}, at
        )
    assert (outcome, ignored) == (EventOutcome.APPLIED, ["x"])
    entry = _get(mdb, "1300477219")
    assert entry.record.identity.status is PilgrimStatus.WAFAT
    assert entry.record.health.istithaah_date.isoformat() == "2024-03-05"
    assert entry.record.identity.name == "AHMAD FAUZI"  # untouched columns stay
    assert entry.updated_at == at and entry.source == "push"
    with mdb.session() as s:
        assert mirror.apply_changes(s, "1300477219", {"nama": "Z"}, at)[0] == EventOutcome.STALE
        assert mirror.apply_changes(s, "1300477299", {"nama": "Z"}, at)[0] == "unknown_porsi"
        with pytest.raises(WireError):
            mirror.apply_changes(s, "1300477219", {"tgl_istithaah": "2024-13-01"}, at)


def test_import_books_the_run(mdb, tmp_path):
    mirror.import_csv(mdb, write(tmp_path / "e.csv", [row("1300477219")]))
    with mdb.session() as s:
        run = s.execute(mirror.select(mirror.MirrorImport)).scalar_one()
    assert (run.kind, run.name, run.inserted, len(run.sha256)) == ("file", "e.csv", 1, 64)


def test_values_with_commas_quotes_and_line_breaks_round_trip(mdb, tmp_path):
    # the record is stored as one packed CSV line: quoting must survive import, feed and push
    tricky = {"nama": 'SITI, "UMI"', "kabupaten": "KOTA\nBENGKULU", "embarkasi": "PDG,BTH"}
    path = write(tmp_path / "e.csv", [row("1300477219", **tricky), row("1300477220")])
    rep = mirror.import_csv(mdb, path)
    assert (rep.read, rep.inserted, rep.malformed) == (2, 2, [])
    assert _get(mdb, "1300477219").record.identity.name == 'SITI, "UMI"'
    with mdb.session() as s:
        assert mirror.stored_values(s, "1300477219")["kabupaten"] == "KOTA\nBENGKULU"
        mirror.upsert_records(s, [row("1300477221", nama="A,B")], source="feed")
        mirror.apply_changes(
            s, "1300477220", {"nama": 'X "Y", Z'}, datetime(2030, 1, 1, tzinfo=UTC)
        )
    assert _get(mdb, "1300477221").record.identity.name == "A,B"
    entry = _get(mdb, "1300477220")
    assert entry.record.identity.name == 'X "Y", Z'
    assert entry.record.waiting.position == 1234  # the other values kept


def test_row_that_is_not_utf8_is_reported_alone(mdb, tmp_path):
    path = write(tmp_path / "e.csv", [row("1300477219"), row("1300477220"), row("1300477221")])
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"AHMAD", b"AHM\xffD")
    path.write_bytes(b"\n".join(lines))
    rep = mirror.import_csv(mdb, path)
    assert [(b.line, b.field) for b in rep.malformed] == [(3, None)]
    assert (rep.read, rep.inserted) == (3, 2)
    # also on the second line of a quoted value that spans lines
    path = write(tmp_path / "f.csv", [row("1300477222", nama="A\nB"), row("1300477223")])
    path.write_bytes(path.read_bytes().replace(b"A\nB", b"A\nB\xff"))
    rep = mirror.import_csv(mdb, path)
    assert [(b.line, b.field) for b in rep.malformed] == [(3, None)]
    assert (rep.read, rep.inserted, rep.unchanged) == (2, 1, 0)

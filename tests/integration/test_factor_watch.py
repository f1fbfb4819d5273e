"""A phone number or birth date changed by the batch import, the change feed or a live refresh
resets the porsi's verifications (as a push event does), audited by factor name only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db import migrate
from db import repos_verification as ver
from db.engine import Database
from integration import mirror
from tests.integration._mirrorrows import row, write

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
P, OTHER = "1300477219", "1300477220"


@pytest.fixture
def loaded(any_db_url, tmp_path):
    migrate.upgrade(any_db_url)
    db = Database(any_db_url)
    mirror.import_csv(db, write(tmp_path / "first.csv", [row(P), row(OTHER)]))
    with db.session() as s:
        for chat in (10, 20):
            ver.add_link(s, chat_id=chat, user_id=chat, porsi=P, now=NOW, ttl=timedelta(days=30))
        ver.add_link(s, chat_id=30, user_id=30, porsi=OTHER, now=NOW, ttl=timedelta(days=30))
    yield db
    db.dispose()


def _links(db, porsi):
    with db.session() as s:
        return [c for c in (10, 20, 30) if ver.is_verified(s, c, porsi, NOW)]


def _changes(db):
    with db.session() as s:
        return [(c.porsi, c.factor, c.source, c.links_reset) for c in ver.factor_changes(s)]


LATER = "2024-03-02T10:00:00+07:00"


@pytest.mark.parametrize("values, factors", [
    ({"no_hp": "6281299990000"}, ["no_hp"]),
    ({"tgl_lahir": "1958-03-15"}, ["tgl_lahir"]),
    ({"no_hp": "", "tgl_lahir": "1958-03-15"}, ["no_hp", "tgl_lahir"]),
])
def test_batch_import_resets_the_links_of_a_changed_factor(loaded, tmp_path, values, factors):
    path = write(tmp_path / "next.csv", [row(P, LATER, **values), row(OTHER, LATER, nama="X")])
    report = mirror.import_csv(loaded, path)
    assert report.updated == 2
    assert _links(loaded, P) == []
    assert _links(loaded, OTHER) == [30]  # its name changed, not a factor: still verified
    assert _changes(loaded) == [(P, f, "batch", 2) for f in factors]


def test_batch_import_of_an_older_row_or_the_same_values_resets_nothing(loaded, tmp_path):
    older = write(tmp_path / "old.csv", [row(P, "2024-02-01T10:00:00+07:00", no_hp="628111")])
    same = write(tmp_path / "same.csv", [row(P, LATER, nama="AHMAD F")])
    mirror.import_csv(loaded, older)
    mirror.import_csv(loaded, same)
    assert _links(loaded, P) == [10, 20]
    assert _changes(loaded) == []


@pytest.mark.parametrize("source", ["feed", "live"])
def test_feed_and_live_upserts_reset_the_links_of_a_changed_factor(loaded, source):
    with loaded.session() as s:
        mirror.upsert_records(s, [row(P, LATER, no_hp="6281299990000"),
                                  row(OTHER, LATER, nama="X")], source=source)
    assert _links(loaded, P) == []
    assert _links(loaded, OTHER) == [30]
    assert _changes(loaded) == [(P, "no_hp", source, 2)]


def test_a_factor_change_is_rolled_back_with_its_write(loaded):
    with pytest.raises(RuntimeError), loaded.session() as s:
        mirror.upsert_records(s, [row(P, LATER, tgl_lahir="1958-03-15")], source="feed")
        raise RuntimeError("the unit of work fails after the write")
    assert _links(loaded, P) == [10, 20]
    assert _changes(loaded) == []

"""Pelimpahan repository on SQLite and PostgreSQL: the saved case and the checklist ticks."""

from __future__ import annotations

from datetime import UTC, datetime

from db import migrate
from db import repos_pelimpahan as repo
from db.engine import Database

NOW = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)


def test_case_and_checklist_roundtrip(any_db_url):
    migrate.upgrade(any_db_url)
    db = Database(any_db_url)
    try:
        with db.session() as s:
            assert repo.get_case(s, 1) is None and repo.checklist(s, 1) == {}
            repo.save_case(s, 1, cause="wafat", policy_version="2020", eligible=False,
                           reasons=["died_before_cutoff", "recipient_under_12"], now=NOW)
            assert repo.toggle(s, 1, "akta_kematian", NOW) is True
            assert repo.toggle(s, 1, "sktjm", NOW) is True
            assert repo.toggle(s, 1, "sktjm", NOW) is False
            repo.set_ready(s, 2, "sktjm", True, NOW)  # another chat
        with db.session() as s:  # a new unit of work: what was committed
            saved = repo.get_case(s, 1)
            assert saved.cause == "wafat" and saved.eligible is False
            assert saved.reasons == ("died_before_cutoff", "recipient_under_12")
            assert saved.updated_at == datetime(2025, 3, 3, 3, 0, tzinfo=UTC)  # read back aware
            assert repo.checklist(s, 1) == {"akta_kematian": True, "sktjm": False}
            repo.save_case(s, 1, cause="sakit_permanen", policy_version="2020", eligible=True,
                           reasons=[], now=NOW)
        with db.session() as s:
            assert repo.get_case(s, 1).reasons == ()
            repo.clear(s, 1)
        with db.session() as s:
            assert repo.get_case(s, 1) is None and repo.checklist(s, 1) == {}
            assert repo.checklist(s, 2) == {"sktjm": True}
    finally:
        db.dispose()

"""Verification repository on SQLite and PostgreSQL: links expire, lock-outs count and expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db import migrate
from db import repos_verification as repo
from db.engine import Database
from knowledge.verification import LockoutRules

T0 = datetime(2027, 1, 10, 3, 0, tzinfo=UTC)
RULES = LockoutRules(max_failures=3, window=timedelta(hours=1), lockout=timedelta(hours=1),
                     link_ttl=timedelta(days=30))


@pytest.fixture
def vdb(any_db_url):
    migrate.upgrade(any_db_url)
    db = Database(any_db_url)
    yield db
    db.dispose()


def test_link_lifecycle(vdb):
    with vdb.session() as s:
        link = repo.add_link(s, chat_id=1, user_id=1, porsi="1300477219", now=T0,
                             ttl=RULES.link_ttl)
        assert link.expires_at == T0 + timedelta(days=30)
    with vdb.session() as s:
        assert repo.is_verified(s, 1, "1300477219", T0 + timedelta(days=29))
        assert not repo.is_verified(s, 2, "1300477219", T0)  # another chat
        assert not repo.is_verified(s, 1, "1300477219", T0 + timedelta(days=30))  # expired
        # verifying again renews, never duplicates
        repo.add_link(s, chat_id=1, user_id=1, porsi="1300477219", now=T0 + timedelta(days=1),
                      ttl=RULES.link_ttl)
        assert len(repo.active_links(s, 1, T0)) == 1
    with vdb.session() as s:
        assert repo.remove_link(s, 1, "1300477219")
        assert not repo.remove_link(s, 1, "1300477219")
        assert repo.active_links(s, 1, T0) == []


def test_lockout_per_chat_and_never_by_strangers(vdb):
    with vdb.session() as s:
        for chat in (1, 2, 3):  # three chats, one porsi
            repo.record_failure(s, chat_id=chat, porsi="1300477219", now=T0)
        for i in range(3):  # one chat, three porsi
            repo.record_failure(s, chat_id=9, porsi=f"130000000{i}", now=T0)
    with vdb.session() as s:
        kw = {"now": T0 + timedelta(minutes=5), "rules": RULES}
        # others' failures on this porsi never lock a fresh chat (the owner) out
        assert repo.lockout_until(s, chat_id=4, porsi="1300477219", **kw) is None
        assert repo.lockout_until(s, chat_id=9, porsi="1399999999", **kw) == T0 + timedelta(hours=1)
        assert repo.lockout_until(s, chat_id=4, porsi="1399999999", **kw) is None
        later = {"now": T0 + timedelta(hours=1), "rules": RULES}
        assert repo.lockout_until(s, chat_id=4, porsi="1300477219", **later) is None
        repo.clear_failures(s, chat_id=9, porsi="1300000000")
        assert repo.failure_count(s, chat_id=9) == 2


def test_audit_refuses_free_text_kind(vdb):
    with vdb.session() as s:
        repo.audit_view(s, chat_id=1, user_id=1, porsi="1300477219", kind="pelunasan", now=T0)
        with pytest.raises(ValueError):
            repo.audit_view(s, chat_id=1, user_id=1, porsi="1300477219",
                            kind="TIDAK ISTITHAAH", now=T0)
    with vdb.session() as s:
        views = repo.audit_views(s, chat_id=1)
        assert [(v.porsi, v.kind, v.viewed_at) for v in views] == [("1300477219", "pelunasan", T0)]


def test_purge_expired(vdb):
    with vdb.session() as s:
        repo.add_link(s, chat_id=1, user_id=1, porsi="1300477219", now=T0, ttl=RULES.link_ttl)
        repo.record_failure(s, chat_id=1, porsi="1300477219", now=T0)
    with vdb.session() as s:
        assert repo.purge_expired(s, T0 + timedelta(days=31)) == 2


def test_tries_before_lockout_counts_this_chats_failures(vdb):
    porsi = "1300477219"
    kw = {"rules": RULES}
    with vdb.session() as s:
        assert repo.tries_before_lockout(s, chat_id=1, porsi=porsi, now=T0, **kw) == 3
        repo.record_failure(s, chat_id=2, porsi=porsi, now=T0)  # another chat, same porsi
        repo.record_failure(s, chat_id=1, porsi="1399999999", now=T0)  # this chat, other porsi
        repo.record_failure(s, chat_id=1, porsi="1399999998", now=T0)
    with vdb.session() as s:
        now = T0 + timedelta(minutes=5)
        # this chat: 2 failures (any porsi) -> 1 left; another chat's failure costs it nothing
        assert repo.tries_before_lockout(s, chat_id=1, porsi=porsi, now=now, **kw) == 1
        assert repo.tries_before_lockout(s, chat_id=3, porsi=porsi, now=now, **kw) == 3
        # a porsi that exists nowhere counts exactly like any other string
        assert repo.tries_before_lockout(s, chat_id=3, porsi="1300999999", now=now, **kw) == 3
        repo.record_failure(s, chat_id=1, porsi=porsi, now=now)
        assert repo.tries_before_lockout(s, chat_id=1, porsi=porsi, now=now, **kw) == 0  # locked
        # failures older than the window no longer count (and the lock-out has ended)
        later = T0 + timedelta(hours=1, minutes=6)
        assert repo.tries_before_lockout(s, chat_id=1, porsi=porsi, now=later, **kw) == 3

"""Repository of the verification feature: verified links, failures/lock-outs, audit of views.

Functions take a Session (inside `db.session()`, the unit of work that commits) and never
commit; they return plain dataclasses. Times passed in may be aware (any zone) or naive UTC;
they are stored as naive UTC and returned as aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from db.models.verification import (
    PersonalDataView,
    VerificationFactorChange,
    VerificationFailure,
    VerifiedLink,
)
from knowledge.dates import to_utc
from knowledge.verification import LockoutRules, locked_until, tries_left

# A view kind is a fixed code; anything else (a value from the record) is refused.
VIEW_KINDS = frozenset({"pelunasan", "pelunasan_cli", "pelimpahan", "helpdesk"})
# The record values a verification is checked against (export column names), and the mirror
# sources that may change them.
FACTORS = ("no_hp", "tgl_lahir")
FACTOR_SOURCES = frozenset({"push", "batch", "feed", "live"})


@dataclass(frozen=True, slots=True)
class Link:
    chat_id: int
    user_id: int
    porsi: str
    verified_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class FactorChange:
    porsi: str
    factor: str
    source: str
    event_id: str | None
    changed_at: datetime
    links_reset: int


@dataclass(frozen=True, slots=True)
class View:
    chat_id: int
    user_id: int | None
    porsi: str
    kind: str
    viewed_at: datetime


def _link(row: VerifiedLink) -> Link:
    return Link(chat_id=row.chat_id, user_id=row.user_id, porsi=row.porsi,
                verified_at=row.verified_at, expires_at=row.expires_at)


# --- links ----------------------------------------------------------------------------------


def add_link(session: Session, *, chat_id: int, user_id: int, porsi: str, now: datetime,
             ttl: timedelta) -> Link:
    """Store (or renew) the link chat <-> porsi, valid for `ttl` from `now`."""
    row = session.scalar(select(VerifiedLink).where(VerifiedLink.chat_id == chat_id,
                                                    VerifiedLink.porsi == porsi))
    if row is None:
        row = VerifiedLink(chat_id=chat_id, porsi=porsi)
        session.add(row)
    row.user_id = user_id
    row.verified_at = now
    row.expires_at = now + ttl
    session.flush()
    return _link(row)


def active_links(session: Session, chat_id: int, now: datetime) -> list[Link]:
    """The chat's links that have not expired, newest first."""
    rows = session.scalars(
        select(VerifiedLink)
        .where(VerifiedLink.chat_id == chat_id, VerifiedLink.expires_at > now)
        .order_by(VerifiedLink.verified_at.desc(), VerifiedLink.id.desc())
    )
    return [_link(r) for r in rows]


def is_verified(session: Session, chat_id: int, porsi: str, now: datetime) -> bool:
    """True when this chat holds an unexpired verified link for `porsi`."""
    found = session.scalar(
        select(VerifiedLink.id).where(VerifiedLink.chat_id == chat_id,
                                      VerifiedLink.porsi == porsi,
                                      VerifiedLink.expires_at > now))
    return found is not None


def remove_link(session: Session, chat_id: int, porsi: str) -> bool:
    """Remove the chat's link to `porsi`; True when there was one."""
    res = session.execute(delete(VerifiedLink).where(VerifiedLink.chat_id == chat_id,
                                                     VerifiedLink.porsi == porsi))
    return bool(res.rowcount)


def purge_expired(session: Session, now: datetime, keep_failures: timedelta = timedelta(days=1)
                  ) -> int:
    """Housekeeping: drop expired links and failures too old to matter for any lock-out."""
    n = session.execute(delete(VerifiedLink).where(VerifiedLink.expires_at <= now))
    m = session.execute(delete(VerificationFailure)
                        .where(VerificationFailure.failed_at < now - keep_failures))
    return (n.rowcount or 0) + (m.rowcount or 0)


# --- failures and lock-outs -------------------------------------------------------------------


def record_failure(session: Session, *, chat_id: int, porsi: str, now: datetime) -> None:
    session.add(VerificationFailure(chat_id=chat_id, porsi=porsi, failed_at=now))
    session.flush()


def clear_failures(session: Session, *, chat_id: int, porsi: str) -> None:
    """After a success: this chat's failures for this porsi no longer count."""
    session.execute(delete(VerificationFailure).where(VerificationFailure.chat_id == chat_id,
                                                      VerificationFailure.porsi == porsi))


def lockout_until(session: Session, *, chat_id: int, porsi: str, now: datetime,
                  rules: LockoutRules) -> datetime | None:
    """When verification opens again for this chat, or None.

    Counted per chat, whatever porsi it tries (which covers each (porsi, chat) pair): a chat
    walking through numbers is stopped. Other chats' failures on the same porsi never lock
    this chat: otherwise any stranger could lock the owner out hourly. Many chats hammering one
    porsi gain nothing either: a pass needs the shared contact of the sender's own Telegram
    account to match the phone on record, and the reply never tells which factor failed.
    (`porsi` stays in the signature: callers ask about one attempt.)
    """
    since = now - rules.window - rules.lockout
    rows = session.execute(
        select(VerificationFailure.failed_at)
        .where(VerificationFailure.failed_at > since, VerificationFailure.chat_id == chat_id)
    ).all()
    return locked_until([r.failed_at for r in rows], to_utc(now), rules)


def tries_before_lockout(session: Session, *, chat_id: int, porsi: str, now: datetime,
                         rules: LockoutRules) -> int:
    """Verification attempts left before this chat is locked out (see `lockout_until`).

    A failure counts while it lies within one `window` of now (the next failure, now, would
    close a run inside that window); 0 while a lock-out is on. Only this chat's own failures
    count, so the answer is the same for an existing and a missing porsi.
    """
    if lockout_until(session, chat_id=chat_id, porsi=porsi, now=now, rules=rules) is not None:
        return 0
    since = now - rules.window
    by_chat = session.scalar(
        select(func.count()).select_from(VerificationFailure)
        .where(VerificationFailure.chat_id == chat_id,
               VerificationFailure.failed_at.between(since, now)))
    return tries_left(int(by_chat or 0), rules)


def failure_count(session: Session, *, chat_id: int | None = None, porsi: str | None = None
                  ) -> int:
    q = select(func.count()).select_from(VerificationFailure)
    if chat_id is not None:
        q = q.where(VerificationFailure.chat_id == chat_id)
    if porsi is not None:
        q = q.where(VerificationFailure.porsi == porsi)
    return int(session.scalar(q) or 0)


# --- audit ------------------------------------------------------------------------------------


def audit_view(session: Session, *, chat_id: int, user_id: int | None, porsi: str, kind: str,
               now: datetime) -> None:
    """Record that personal data of `porsi` was shown to this chat/user (`kind`: a fixed code)."""
    if kind not in VIEW_KINDS:
        raise ValueError(f"unknown view kind {kind!r}")
    session.add(PersonalDataView(chat_id=chat_id, user_id=user_id, porsi=porsi, kind=kind,
                                 viewed_at=now))
    session.flush()


def audit_views(session: Session, *, porsi: str | None = None, chat_id: int | None = None
                ) -> list[View]:
    q = select(PersonalDataView).order_by(PersonalDataView.viewed_at, PersonalDataView.id)
    if porsi is not None:
        q = q.where(PersonalDataView.porsi == porsi)
    if chat_id is not None:
        q = q.where(PersonalDataView.chat_id == chat_id)
    return [View(chat_id=r.chat_id, user_id=r.user_id, porsi=r.porsi, kind=r.kind,
                 viewed_at=r.viewed_at) for r in session.scalars(q)]


def factors_changed(session: Session, *, porsi: str, factors: list[str] | tuple[str, ...],
                    source: str, event_id: str | None, now: datetime) -> int:
    """A verification factor of `porsi` changed in the mirror (call it in the transaction of
    the mirror write): delete every verified link of the porsi, since a chat verified against
    the old phone or birth date must verify again, and audit one row per factor (its name,
    never a value). Returns how many links were reset."""
    unknown = [f for f in factors if f not in FACTORS]
    if unknown or not factors:
        raise ValueError(f"not verification factors: {unknown or factors!r}")
    if source not in FACTOR_SOURCES:
        raise ValueError(f"unknown source {source!r}")
    reset = session.execute(delete(VerifiedLink).where(VerifiedLink.porsi == porsi)).rowcount
    for factor in dict.fromkeys(factors):
        session.add(VerificationFactorChange(porsi=porsi, factor=factor, source=source,
                                             event_id=event_id, changed_at=now,
                                             links_reset=reset or 0))
    session.flush()
    return reset or 0


def factor_changes(session: Session, *, porsi: str | None = None) -> list[FactorChange]:
    q = select(VerificationFactorChange).order_by(VerificationFactorChange.changed_at,
                                                  VerificationFactorChange.id)
    if porsi is not None:
        q = q.where(VerificationFactorChange.porsi == porsi)
    return [FactorChange(porsi=r.porsi, factor=r.factor, source=r.source, event_id=r.event_id,
                         changed_at=r.changed_at, links_reset=r.links_reset)
            for r in session.scalars(q)]


# --- erasure and retention --------------------------------------------------------------------


def erase_person(session: Session, chat_id: int | None, user_id: int | None) -> int:
    """Delete every verified link of this chat or this Telegram user; returns how many.

    Failures and the audit log are kept on purpose: failures are anti-abuse and expire on
    their own (`purge_older_than`); the audit log is the record that each view was legitimate.
    """
    conds = []
    if chat_id is not None:
        conds.append(VerifiedLink.chat_id == chat_id)
    if user_id is not None:
        conds.append(VerifiedLink.user_id == user_id)
    if not conds:
        return 0
    return session.execute(delete(VerifiedLink).where(or_(*conds))).rowcount or 0


def purge_older_than(session: Session, now: datetime, *, keep_failures: timedelta,
                     audit_before: datetime | None = None) -> dict[str, int]:
    """Delete expired links and failures older than `keep_failures` (set it to the lock-out
    rules' window + lock-out: older failures no longer count for anything); audit entries
    older than `audit_before` (the log of views and of verification-factor changes) only when
    a period is set (None keeps them all)."""
    audits = changes = 0
    if audit_before is not None:
        audits = session.execute(delete(PersonalDataView)
                                 .where(PersonalDataView.viewed_at < audit_before)
                                 ).rowcount or 0
        changes = session.execute(
            delete(VerificationFactorChange)
            .where(VerificationFactorChange.changed_at < audit_before)).rowcount or 0
    links = session.execute(delete(VerifiedLink)
                            .where(VerifiedLink.expires_at <= now)).rowcount
    fails = session.execute(delete(VerificationFailure)
                            .where(VerificationFailure.failed_at < now - keep_failures)
                            ).rowcount
    return {"verified_links": links or 0, "verification_failures": fails or 0,
            "personal_data_views": audits, "verification_factor_changes": changes}

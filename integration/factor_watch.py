"""A mirror write that changes a porsi's phone number or birth date resets its verifications.

A chat verified against the old `no_hp` or `tgl_lahir` must verify again against the new one:
otherwise a number that has passed to someone else (or a corrected birth date) would keep
opening health and payment details to whoever verified before. Every way data arrives resets
them in the transaction of its write, and the audit row names the factor, never a value:

- push events: `integration.push` (through `repos_verification.factors_changed`);
- the change feed and live refreshes: `upsert_records` calls `reset_in_session`;
- the CSV import: `ImportFactorHook`, per chunk on the import's raw connection (only porsi that
  have a verified link are compared, read once per import, so a national file costs a set
  lookup per row).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from db import repos_verification
from integration.notify_queue import _in, _mark, _stamp
from integration.wire import EXPORT_COLUMNS

PACKED = EXPORT_COLUMNS[1:-1]  # the mirror's packed `data` columns (integration.mirror_import)
_AT = tuple((f, PACKED.index(f)) for f in repos_verification.FACTORS)


def changed_factors(old: Sequence[str], new: Sequence[str]) -> list[str]:
    """The verification factors whose stored value differs between two packed value lists."""
    return [f for f, i in _AT if old[i] != new[i]]


def reset_in_session(session: Session, changed: list[tuple[str, str, str]],
                     unpack: Callable[[str], list[str]], *, source: str,
                     event_id: str | None = None, now: datetime | None = None,
                     ) -> tuple[list[str], int]:
    """(porsi, old packed data, new packed data) written by `session`: reset the verified links
    of those whose factors changed, in its transaction. Returns the factors that changed (in
    any of them) and the links reset."""
    now = now or datetime.now(UTC)
    moved: dict[str, None] = {}
    reset = 0
    for porsi, old, new in changed:
        try:
            factors = changed_factors(unpack(old), unpack(new))
        except ValueError:  # a stored row that no longer parses: nothing to compare
            continue
        if factors:
            moved.update(dict.fromkeys(factors))
            reset += repos_verification.factors_changed(
                session, porsi=porsi, factors=factors, source=source, event_id=event_id,
                now=now)
    return list(moved), reset


class ImportFactorHook:
    """Called by `import_csv` with each chunk: before the upsert, compares the stored factors
    of verified porsi in the chunk with the new row's; after it (same transaction), deletes
    their links and audits the change."""

    def __init__(self, cur, dialect: str, unpack, *, source: str, now: datetime | None = None):
        self.cur, self.dialect, self.unpack, self.source = cur, dialect, unpack, source
        self.now = now or datetime.now(UTC)
        cur.execute("SELECT DISTINCT porsi FROM verified_links")
        self.verified = {r[0] for r in cur.fetchall()}
        self.reset = 0

    def before(self, rows: list[tuple[str, str, str]]) -> dict[str, list[str]]:
        """(porsi, updated_at, packed data) rows of a chunk -> {porsi: factors changed}."""
        mine = [r for r in rows if r[0] in self.verified]
        if not mine:
            return {}
        stored = {p: (u, d) for p, u, d in _in(
            self.cur, self.dialect, "SELECT porsi, updated_at, data FROM mirror "
                                    "WHERE porsi IN ({marks})", sorted({r[0] for r in mine}))}
        found: dict[str, list[str]] = {}
        for porsi, stamp, data in mine:
            old = stored.get(porsi)
            if old is None or stamp <= old[0]:
                continue  # new here (nothing verified against it) or not written (older)
            with contextlib.suppress(ValueError):
                for f in changed_factors(self.unpack(old[1]), self.unpack(data)):
                    found.setdefault(porsi, []).append(f)
            stored[porsi] = (stamp, data)  # a porsi twice in one chunk: compare with the first
        return found

    def after(self, found: dict[str, list[str]]) -> None:
        if not found:
            return
        cur, stamp = self.cur, _stamp(self.dialect, self.now)
        for porsi, factors in found.items():
            cur.execute(_mark(self.dialect, "DELETE FROM verified_links WHERE porsi = ?"),
                        (porsi,))
            n = max(cur.rowcount, 0)
            self.reset += n
            cur.executemany(
                _mark(self.dialect, "INSERT INTO verification_factor_changes "
                                    "(porsi, factor, source, event_id, changed_at, links_reset) "
                                    "VALUES (?, ?, ?, NULL, ?, ?)"),
                [(porsi, f, self.source, stamp, n) for f in dict.fromkeys(factors)])
            self.verified.discard(porsi)

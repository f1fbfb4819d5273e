"""Pure identity-check rules: phone normalisation and match, typed dates, lock-out arithmetic.

Verification = the person's own Telegram contact (its phone must match `no_hp` on record) plus
the birth date they type. Nothing here touches storage; `db/repos_verification.py` keeps
the links, failures and the audit log.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from knowledge.dates import DateInputError, parse_user_date

COUNTRY_CODE = "62"  # Indonesia; records hold digits with the country code (6281234567890)
_NON_DIGITS = re.compile(r"\D+")
_MIN_DIGITS = 8  # shorter is not a phone number at all

# --- phone ----------------------------------------------------------------------------------


def normalize_phone(raw: str | None) -> str | None:
    """Any Indonesian way of writing a number -> digits with country code, or None.

    `+62 812-3456-7890`, `62812...`, `0812...`, `812...` and `(0812) 3456 7890` all give
    `6281234567890`. A number with another country code is kept as its digits (it will simply
    not match an Indonesian record).
    """
    if raw is None:
        return None
    text = str(raw).strip()
    digits = _NON_DIGITS.sub("", text)
    if text.startswith("+"):
        pass  # already international
    elif digits.startswith("00"):
        digits = digits[2:]  # 0062... international call prefix
    elif digits.startswith("0"):
        digits = COUNTRY_CODE + digits[1:]
    elif digits.startswith("8"):
        digits = COUNTRY_CODE + digits  # local mobile number without the trunk 0
    if len(digits) < _MIN_DIGITS:
        return None
    return digits


def phones_match(shared: str | None, on_record: str | None) -> bool:
    """True when both normalise to the same number (constant-time compare)."""
    a, b = normalize_phone(shared), normalize_phone(on_record)
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


# --- dates ----------------------------------------------------------------------------------


def parse_date(text: str | None, today: date | None = None) -> date | None:
    """A date as people type it (17-08-1960, 17/8/1960, 1960-08-17, "17 agustus 1960"), or None.

    Delegates to the shared parser (knowledge/dates.py); an unreadable, impossible or (with
    `today`) future date gives None.
    """
    try:
        return parse_user_date(text or "", today or date.max)
    except DateInputError:
        return None


def birth_date_matches(typed: str | date | None, on_record: date | None) -> bool:
    if on_record is None or typed is None:
        return False
    given = typed if isinstance(typed, date) else parse_date(typed)
    return given == on_record


# --- lock-out -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LockoutRules:
    max_failures: int = 3
    window: timedelta = timedelta(minutes=60)
    lockout: timedelta = timedelta(minutes=60)
    link_ttl: timedelta = timedelta(days=30)

    @classmethod
    def from_policy(cls, policy: dict[str, Any]) -> LockoutRules:
        v = policy.get("verification", {}) or {}
        return cls(
            max_failures=int(v.get("max_failures", 3)),
            window=timedelta(minutes=float(v.get("failure_window_minutes", 60))),
            lockout=timedelta(minutes=float(v.get("lockout_minutes", 60))),
            link_ttl=timedelta(days=float(v.get("link_days", 30))),
        )


def locked_until(failures: Iterable[datetime], now: datetime, rules: LockoutRules) -> datetime | None:
    """When verification opens again, or None if it is open now.

    Locked while `max_failures` or more failures fall inside one `window` and the last of them
    is less than `lockout` ago. Old failures age out on their own, so a lock-out always expires.
    """
    recent = sorted(t for t in failures if now - t < rules.window + rules.lockout)
    if len(recent) < rules.max_failures:
        return None
    # Any run of max_failures inside one window, ending at failure i, locks until t_i + lockout.
    until: datetime | None = None
    n = rules.max_failures
    for i in range(n - 1, len(recent)):
        if recent[i] - recent[i - n + 1] <= rules.window:
            end = recent[i] + rules.lockout
            if end > now and (until is None or end > until):
                until = end
    return until


def tries_left(recent_failures: int, rules: LockoutRules) -> int:
    """Verification attempts left before the lock-out, after `recent_failures` in the window."""
    return max(0, rules.max_failures - recent_failures)

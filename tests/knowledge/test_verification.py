"""Pure identity-check rules: phone numbers, typed birth dates, lock-out arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from knowledge.policy_loader import load_policy
from knowledge.verification import (
    LockoutRules,
    birth_date_matches,
    locked_until,
    normalize_phone,
    parse_date,
    phones_match,
)


@pytest.mark.parametrize("raw", [
    "6281234567890", "+6281234567890", "+62 812-3456-7890", "081234567890", "0812 3456 7890",
    "(0812) 3456-7890", "81234567890", "006281234567890",
])
def test_phone_forms_normalise_to_one(raw):
    assert normalize_phone(raw) == "6281234567890"


def test_phone_match():
    assert phones_match("+62 812-3456-7890", "6281234567890")
    assert not phones_match("+62 812-3456-7891", "6281234567890")
    assert not phones_match("+1 812 3456 7890", "6281234567890")
    assert not phones_match("6281234567890", None)  # no phone on record never matches
    assert not phones_match("", "")
    assert normalize_phone("123") is None


@pytest.mark.parametrize("text", [
    "17-08-1960", "17/8/1960", "1960-08-17", "17 agustus 1960", "17 Agustus 1960",
    "17 AGT 1960", "17 august 1960", " 17.08.1960 ", "17-agustus-1960",
])
def test_birth_date_forms(text):
    assert parse_date(text) == date(1960, 8, 17)


@pytest.mark.parametrize("text", ["31-02-1960", "17 foo 1960", "kemarin", "", "1960", "17-13-1960"])
def test_bad_dates(text):
    assert parse_date(text) is None


def test_birth_date_matches():
    assert birth_date_matches("17 agustus 1960", date(1960, 8, 17))
    assert not birth_date_matches("18 agustus 1960", date(1960, 8, 17))
    assert not birth_date_matches("17 agustus 1960", None)


T0 = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)
RULES = LockoutRules(max_failures=3, window=timedelta(minutes=60), lockout=timedelta(minutes=60))


def test_lockout_after_three_failures_then_expires():
    fails = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert locked_until(fails[:2], T0 + timedelta(minutes=3), RULES) is None
    until = locked_until(fails, T0 + timedelta(minutes=3), RULES)
    assert until == T0 + timedelta(minutes=62)
    assert locked_until(fails, T0 + timedelta(minutes=61), RULES) == until
    assert locked_until(fails, T0 + timedelta(minutes=62), RULES) is None  # expired


def test_failures_spread_beyond_the_window_do_not_lock():
    fails = [T0, T0 + timedelta(minutes=40), T0 + timedelta(minutes=80)]
    assert locked_until(fails, T0 + timedelta(minutes=81), RULES) is None


def test_rules_from_policy():
    rules = LockoutRules.from_policy(load_policy("pelunasan"))
    assert rules.max_failures == 3
    assert rules.lockout == timedelta(hours=1)
    assert rules.link_ttl == timedelta(days=30)

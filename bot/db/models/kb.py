"""Knowledge-base feedback: unanswered and unhelpful questions (masked)."""

from bot.db.base import Base  # noqa: F401

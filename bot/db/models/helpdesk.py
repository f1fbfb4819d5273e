"""Helpdesk tickets, message mapping, notes, ratings, transcripts."""

from bot.db.base import Base  # noqa: F401

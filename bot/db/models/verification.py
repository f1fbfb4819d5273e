"""Verified chat-porsi links, failed attempts and lock-outs, personal-data audit log."""

from bot.db.base import Base  # noqa: F401

"""Pelimpahan wizard cases and document checklists per chat."""

from bot.db.base import Base  # noqa: F401

"""Local mirror of Siskohat records (one row per nomor porsi) and sync bookkeeping."""

from bot.db.base import Base  # noqa: F401

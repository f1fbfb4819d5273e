"""Runtime state: chat/user state, processed update ids, throttling."""

from bot.db.base import Base  # noqa: F401

"""Channels other than Telegram itself: the console chat and `hajibot ask`, both running the
same Application through the in-process Bot API (bot/transport.py)."""

"""Fakes of the services around the bot, for tests and benches."""

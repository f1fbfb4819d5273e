"""The commands Telegram lists (set_my_commands) and those /help lists are the same, in both
languages: a command missing from one of them is one people never find."""

from __future__ import annotations

import re

import pytest

from bot.app import _commands
from handlers.base import render


@pytest.mark.parametrize("lang", ["id", "en"])
def test_help_lists_every_registered_command_and_no_other(lang):
    registered = {c.command for c in _commands(lang)}
    in_help = set(re.findall(r"^/(\w+)", render(lang, "start_help.j2"), flags=re.MULTILINE))
    assert registered == in_help
    assert {"porsi", "pantau", "pelunasan", "pelimpahan", "hapusdata"} <= registered

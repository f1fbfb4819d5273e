"""`.env.example` lists every setting, and the values it sets are the defaults."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_every_setting_is_listed_with_its_default():
    text = EXAMPLE.read_text()
    listed = set(re.findall(r"HAJIBOT_([A-Z0-9_]+)=", text))
    assert {name.upper() for name in Settings.model_fields} == listed
    set_here = dict(re.findall(r"^HAJIBOT_([A-Z0-9_]+)=(.*)$", text, flags=re.M))
    defaults = Settings(_env_file=None)
    from_example = Settings(_env_file=None, **{k.lower(): v for k, v in set_here.items()})
    assert from_example.model_dump() == defaults.model_dump()

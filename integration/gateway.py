"""The one call handlers use: `Gateway.lookup(porsi)` -> record + freshness + source.

Placeholder interface; the implementation answers from the mirror, refreshing on demand from
Siskohat when the copy is missing or older than `max_age_s`, and falls back to the mirror
(source STALE, "data per <date>") when Siskohat is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from knowledge.records import PilgrimRecord


class Source(str, Enum):
    MIRROR = "mirror"  # fresh enough copy in the local mirror
    LIVE = "live"  # fetched from Siskohat just now (and stored in the mirror)
    STALE = "stale"  # mirror copy older than max age; Siskohat could not be reached


@dataclass(frozen=True, slots=True)
class Lookup:
    porsi: str
    record: PilgrimRecord | None  # None: unknown porsi (or unknown and Siskohat down)
    source: Source
    as_of: datetime | None  # when this copy was last confirmed with Siskohat (UTC)
    siskohat_down: bool = False

"""One list of message kinds (handlers/base.py) serves the router and the helpdesk transcript."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Animation, Chat, Document, Location, Message, Venue

from handlers.base import message_kind, render

CHAT = Chat(1, "private")
WHEN = datetime(2026, 12, 7, tzinfo=UTC)


def test_the_more_specific_kind_wins():
    here = Location(longitude=106.8, latitude=-6.2)
    venue = Message(1, WHEN, CHAT, location=here, venue=Venue(here, "Kankemenag", "Jl. X"))
    gif = Message(2, WHEN, CHAT, animation=Animation("a", "ua", 1, 1, 1),
                  document=Document("d", "ud"))
    assert message_kind(venue) == "venue" and message_kind(gif) == "animation"
    assert message_kind(Message(3, WHEN, CHAT, text="halo")) == "text"
    assert message_kind(Message(4, WHEN, CHAT), default="other") == "other"


def test_a_venue_is_answered_as_a_location_in_both_languages():
    assert "lokasi" in render("id", "router_non_text.j2", kind="venue")
    assert "locations" in render("en", "router_non_text.j2", kind="venue")

"""Telegram-shaped output rendered for WhatsApp: formatting, buttons (never one lost), cuts."""

from __future__ import annotations

from pywa_async.types import Button, SectionList

from bot.channels.whatsapp_edge import KEYBOARD_PREFIX
from bot.channels.whatsapp_render import (
    BODY_MAX,
    ROW_TITLE_MAX,
    TEXT_MAX,
    choices,
    chunks,
    keyboards,
    plain,
    to_whatsapp,
)


def inline(*labels: str) -> dict:
    return {"inline_keyboard": [[{"text": t, "callback_data": f"cb:{i}"}]
                                for i, t in enumerate(labels)]}


def test_html_becomes_whatsapp_formatting():
    assert to_whatsapp("<b>Porsi</b> &amp; <i>status</i> <code>1234567890</code>") == \
        "*Porsi* & _status_ `1234567890`"
    assert to_whatsapp('<a href="https://haji.go.id">Info</a>') == "Info (https://haji.go.id)"
    assert to_whatsapp("<s>lama</s> <u>baru</u>") == "~lama~ baru"
    assert to_whatsapp("1 < 2 *literal*", None) == "1 < 2 *literal*"  # not HTML: as it is
    assert plain("*Porsi* & _status_ `x`") == "Porsi & status x"


def test_up_to_three_short_buttons_are_reply_buttons():
    boards = keyboards(choices(inline("Ya", "Tidak", "Menu"))[0])
    assert len(boards) == 1 and all(isinstance(b, Button) for b in boards[0])
    assert [b.title for b in boards[0]] == ["Ya", "Tidak", "Menu"]
    assert [b.callback_data for b in boards[0]] == ["cb:0", "cb:1", "cb:2"]


def test_more_or_longer_buttons_become_a_list_with_whole_labels_kept():
    long = "Surat keterangan ahli waris dari kelurahan"
    boards = keyboards(choices(inline("Ya", long))[0])  # a title over 20: a list
    assert len(boards) == 1 and isinstance(boards[0], SectionList)
    rows = list(next(iter(boards[0].sections)).rows)
    assert rows[1].title.endswith("…") and len(rows[1].title) == ROW_TITLE_MAX
    assert rows[1].description == long  # the whole label, where a row shows it


def test_more_than_ten_buttons_make_several_lists_and_none_is_lost():
    labels = [f"Pilihan {i}" for i in range(23)]
    boards = keyboards(choices(inline(*labels))[0])
    assert len(boards) == 3 and all(isinstance(b, SectionList) for b in boards)
    rows = [r for b in boards for s in b.sections for r in s.rows]
    assert [r.callback_data for r in rows] == [f"cb:{i}" for i in range(23)]
    assert all(len(list(s.rows)) <= 10 for b in boards for s in b.sections)


def test_reply_keyboards_and_links_are_kept():
    items, links = choices({"keyboard": [[{"text": "Batal"}], ["Menu"]]})
    assert [(c.title, c.data) for c in items] == [("Batal", KEYBOARD_PREFIX + "Batal"),
                                                  ("Menu", KEYBOARD_PREFIX + "Menu")]
    items, links = choices({"inline_keyboard": [[{"text": "Situs", "url": "https://x.id"}]]})
    assert items == [] and links == ["Situs: https://x.id"]


def test_long_texts_are_cut_at_paragraphs_within_the_limits():
    text = ("kalimat " * 100 + "\n\n") * 12
    parts = chunks(text)
    assert len(parts) > 1 and all(len(p) <= TEXT_MAX for p in parts)
    assert "".join(p.replace(" ", "").replace("\n", "") for p in parts) == \
        text.replace(" ", "").replace("\n", "")
    assert all(len(p) <= BODY_MAX for p in chunks(text, BODY_MAX))

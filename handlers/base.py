"""What every handler module shares: the injected services, templates, language and outcome marks.

Contract for feature modules (`handlers/<feature>.py`):
- expose `register(app: Application) -> None`, called once by the composition root (bot/app.py);
- get shared clients with `services(context)`, never by importing the composition root;
- keep per-chat conversation state in `context.chat_data` / `context.user_data` with JSON-able
  values only: the runtime loads and saves them from the database around every update, so a
  restart or a second process loses nothing;
- render every text with `render(lang, "feature_name.j2", **values)` (jinja2, HTML-autoescaped);
- call `mark(update, context, topic=..., score=..., handoff=...)` so `hajibot ask --json`
  can report what the reply was about.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from telegram.warnings import PTBDeprecationWarning

from knowledge.language import detect

if TYPE_CHECKING:  # pragma: no cover
    from pydantic import SecretStr
    from telegram import Update
    from telegram.error import RetryAfter
    from telegram.ext import Application, CallbackContext

    from db.engine import Database
    from integration.gateway import Gateway

TEMPLATES = Path(__file__).with_name("templates")
LANGS = ("id", "en")


class HandlerSettings(Protocol):
    """What the conversation reads of the settings. The composition root passes its
    `bot.settings.Settings`, which has these and more; declared here so that nothing below
    bot/ imports it."""

    timezone: str
    siskohat_url: str
    status_lookups_per_hour: int
    throttle_burst: int
    throttle_window_s: float
    helpdesk_chat_id: int | None
    helpdesk_reminder_minutes: int
    helpdesk_response_minutes: int
    webhook_secret: SecretStr | None
    telegram_token: SecretStr | None


@dataclass
class Services:
    """Shared clients, opened in post_init and closed in post_shutdown by the composition root."""

    settings: HandlerSettings
    db: Database
    gateway: Gateway
    clock: Callable[[], datetime]  # timezone-aware now(); tests pin it
    extras: dict[str, Any] = field(default_factory=dict)  # feature singletons (kb, policies)

    @cached_property
    def demo_data(self) -> bool:
        """Records come from the Siskohat simulator (a loopback Siskohat URL: never the real
        Siskohat), so replies built from them say they are sample data."""
        host = urlsplit(self.settings.siskohat_url).hostname or ""
        return host in ("127.0.0.1", "localhost", "::1")

    @cached_property
    def counter_salt(self) -> str:
        """Salt of the pseudonymous key of abuse counters (they survive /hapusdata): a secret
        the deployment already has; the console and tests, which have none, use a fixed one."""
        for secret in (self.settings.webhook_secret, self.settings.telegram_token):
            if secret is not None and secret.get_secret_value():
                return secret.get_secret_value()
        return "hajibot-local"

    @cached_property
    def tz(self) -> ZoneInfo:
        """The local time zone of dates shown to people (`settings.timezone`, checked when the
        Application is built)."""
        return ZoneInfo(self.settings.timezone)


Handler = Callable[..., Any]  # an async (update, context) callable


@dataclass
class Hooks:
    """How features plug into each other and into the runtime without importing each other:
    each is an async (update, context) callable, or None when no feature registered one."""

    free_text: Handler | None = None  # the FAQ matcher: free text no flow or number took
    handoff: Handler | None = None  # the helpdesk's offer of a human (`menu.offer_handoff`)
    route_text: Handler | None = None  # the shared router, for flows handing a question back
    erase: Handler | None = None  # "hapus data saya" typed: the erasure's confirmation
    # the runtime's pre-filter asks these (bot/runtime.py):
    edit: Handler | None = None  # an edited private message -> True when a feature took it
    # a private message over the throttle's burst -> True when a feature must get it all the
    # same (the helpdesk, while the chat has an open ticket: words for an agent are never
    # dropped - it paces a flood itself); asked only over the burst
    throttle: Handler | None = None


@dataclass
class BotData:
    """The Application's own state (PTB's `bot_data`, typed through `ContextTypes`): set by the
    composition root (bot/app.py) and by the features' `register(app)`, one per Application,
    so two Applications in one process (tests, benches) never share a registry."""

    settings: Any = None  # bot.settings.Settings (a HandlerSettings)
    services: Services | None = None
    clock: Callable[[], datetime] | None = None  # pinned `now` (tests), else the wall clock
    throttle: bool = True  # per-user burst throttling (off for console/ask)
    flows: dict[str, Handler] = field(default_factory=dict)  # flow name -> its text handler
    reasks: dict[str, Handler] = field(default_factory=dict)  # flow name -> "ask again"
    # flows whose every word goes on as it is (the helpdesk's, to the agents): the router
    # takes no menu label, "batal" or request out of them
    carrying: set[str] = field(default_factory=set)
    # a button's label typed instead of pressed (`plain_label` of it) -> what the button does,
    # and the label's language (None when both languages write it the same)
    typed: dict[str, tuple[Handler, str | None]] = field(default_factory=dict)
    hooks: Hooks = field(default_factory=Hooks)
    # update id -> what its reply was about (`mark`), dropped by the runtime after the update
    outcomes: dict[int, dict[str, Any]] = field(default_factory=dict)
    # per-feature caches and locks that live as long as the Application (feature-owned keys)
    caches: dict[str, Any] = field(default_factory=dict)


def bot_data(context: CallbackContext) -> BotData:
    return context.application.bot_data


# Message attributes, checked in order, that name the kind of a non-text message: a venue also
# carries a location, an animation a document, so the more specific comes first.
MESSAGE_KINDS = (
    "sticker", "photo", "voice", "audio", "video_note", "video", "animation", "document",
    "venue", "location", "contact", "poll", "dice", "game", "story",
)


def message_kind(msg: Any, default: str = "text") -> str:
    """The kind of a message by MESSAGE_KINDS (`default` when it has none of them)."""
    for attr in MESSAGE_KINDS:
        if getattr(msg, attr, None):
            return attr
    return default


def services(context: CallbackContext) -> Services:
    return context.application.bot_data.services


@cache
def _env(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([TEMPLATES / lang, TEMPLATES / "id"]),
        autoescape=True,  # data (names, free text) can never inject markup
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        undefined=jinja2.StrictUndefined,
        # templates ship with the code (a deploy restarts the process): no stat of an imported
        # template (common_macros.j2) on every render to see whether it changed
        auto_reload=False,
    )
    # The number and date formats of common_macros.j2 are globals of every template too (no
    # import needed), their results kept: a status card calls them with the same few values
    # (the mirror's sync time, a province's quota), and a macro call cost as much as the rest
    # of the card's formatting.
    macros = env.get_template("common_macros.j2").module
    env.globals.update({name: _kept(getattr(macros, name)) for name in FORMAT_MACROS})
    return env


FORMAT_MACROS = ("angka", "tanggal", "waktu")


def _kept(macro: Callable[..., str]) -> Callable[..., str]:
    """`macro` with its results kept per argument value, type and time zone (equal datetimes
    of other zones or a date and a datetime are told apart)."""

    @lru_cache(maxsize=4096, typed=True)
    def run(_zones: tuple, *args: Any) -> str:
        return macro(*args)

    def call(*args: Any, **kwargs: Any) -> str:
        if kwargs:
            return macro(*args, **kwargs)
        zones = tuple((getattr(a, "tzinfo", None), getattr(a, "fold", 0)) for a in args)
        try:
            return run(zones, *args)
        except TypeError:  # an unhashable argument: the macro decides
            return macro(*args)

    return call


@cache
def _template(lang: str, name: str) -> jinja2.Template:
    # Compiled once per process: `get_template` would otherwise stat the file on every call
    # to check it is up to date (templates ship with the code; a deploy restarts the process).
    template = _env(lang).get_template(name)
    # Jinja keeps a template's globals as a ChainMap over the environment's, and copies it into
    # every render's context: ~10 µs a render, three times the rest of a status card's context.
    # The environment's globals are complete before any template is compiled here (_env) and
    # never change after, so a plain dict of the same names is the same globals.
    template.globals = dict(template.globals)
    return template


def render(lang: str, name: str, **values: Any) -> str:
    """Render `handlers/templates/<lang>/<name>`; falls back to Indonesian when not translated."""
    return _template(lang if lang in LANGS else "id", name).render(**values).strip()


def plain_label(text: str) -> str:
    """A label or a typed message as compared with each other: case, emoji and punctuation
    aside ("🔔 Pantau porsi ini" = "pantau porsi ini")."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def register_typed(app: Application, labels_by_lang: Iterable[tuple[str, str]],
                   handler: Handler) -> None:
    """People type a button's label instead of pressing it (WhatsApp users above all, and
    anyone who sees the menu as a list of words): a whole message equal to one of the
    (language, label) pairs does what the button does, answered in the label's language.
    `handler` takes an ordinary message update."""
    langs: dict[str, set[str]] = {}
    for lang, text in labels_by_lang:
        if said := plain_label(text):
            langs.setdefault(said, set()).add(lang)
    for said, where in langs.items():
        app.bot_data.typed[said] = (handler, next(iter(where)) if len(where) == 1 else None)


def labels(template: str, **defaults: Any) -> Callable[..., str]:
    """The button labels (plain text) of one `<feature>_label.j2` template, as a cached function
    `label(lang, key, **values)` (values hashable); `defaults` fill values the template reads."""

    @lru_cache(maxsize=256)  # the same few buttons on every keyboard; templates are static
    def label(lang: str, key: str, **values: Any) -> str:
        return render(lang, template, key=key, **{**defaults, **values})

    return label


# Tags Telegram accepts with parse_mode=HTML (https://core.telegram.org/bots/api#html-style).
_ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s[^<>]*)?)>")


class HtmlError(ValueError):
    """A text Telegram rejects with parse_mode=HTML (its "can't parse entities" answer)."""


def html_to_plain(text: str, *, validate: bool = True) -> str:
    """Telegram's view of an HTML-parse-mode text: tags removed, entities unescaped.

    With `validate`, raise `HtmlError` on what Telegram rejects ("can't parse entities"):
    unknown tags, a bare `<`, unbalanced tags - so a template bug fails in tests as it would in
    production.
    """
    out: list[str] = []
    stack: list[str] = []
    pos = 0
    for m in _TAG_RE.finditer(text):
        chunk = text[pos:m.start()]
        if validate and "<" in chunk:
            raise HtmlError("Bad Request: can't parse entities: Unexpected character '<' "
                            f"at byte offset {len(text[:pos + chunk.index('<')].encode())}")
        out.append(chunk)
        closing, tag = m.group(1), m.group(2).lower()
        if validate:
            if tag not in _ALLOWED_TAGS:
                raise HtmlError("Bad Request: can't parse entities: Unsupported start tag "
                                f"\"{tag}\" at byte offset {len(text[:m.start()].encode())}")
            if closing:
                if not stack or stack[-1] != tag:
                    raise HtmlError("Bad Request: can't parse entities: Can't find end tag "
                                    f"corresponding to start tag \"{stack[-1] if stack else tag}\"")
                stack.pop()
            else:
                stack.append(tag)
        pos = m.end()
    rest = text[pos:]
    if validate and "<" in rest:
        raise HtmlError("Bad Request: can't parse entities: Unexpected character '<'")
    if validate and stack:
        raise HtmlError("Bad Request: can't parse entities: Can't find end tag "
                        f"corresponding to start tag \"{stack[-1]}\"")
    out.append(rest)
    return html.unescape("".join(out))


def parse_command(text: str | None, bot_username: str | None = None) -> tuple[str, str] | None:
    """("name", "rest") of a /command (name case-folded, "@bot" dropped, rest stripped); None
    for other text, or for a command addressed to another bot than `bot_username`."""
    if not text or not text.startswith("/"):
        return None
    word, *rest = text.split(maxsplit=1)
    name, _, target = word[1:].partition("@")
    if target and bot_username and target.casefold() != bot_username.casefold():
        return None
    return name.casefold(), (rest[0].strip() if rest else "")


def mark(update: Update, context: CallbackContext, *, topic: str | None = None,
         score: float | None = None, handoff: bool | None = None,
         mode: str | None = None) -> None:
    """Record what this update's reply was about (read by `hajibot ask --json`); `mode`: how
    sure a knowledge-base answer was ("confident", or "likely": with "Bukan ini?" beside it)."""
    outcomes = context.application.bot_data.outcomes
    out = outcomes.setdefault(update.update_id, {"topic": None, "score": None, "handoff": False})
    if topic is not None:
        out["topic"] = topic
    if score is not None:
        out["score"] = score
    if handoff is not None:
        out["handoff"] = handoff
    if mode is not None:
        out["mode"] = mode


# The status check and /pelunasan both look a porsi up, so they share one hourly allowance
# (`settings.status_lookups_per_hour`) and this key: the bot cannot be used to walk the list.
LOOKUPS_KEY = "status_lookups"  # user_data: epoch seconds of this person's recent lookups
HOUR_S = 3600.0


def count_lookup(context: CallbackContext, limit: int, now: float) -> float | None:
    """Count one porsi lookup and return None, or the seconds to wait when the hour is used up."""
    store = context.user_data if context.user_data is not None else context.chat_data
    # (after /hapusdata the runtime puts the kept counter back here: bot/runtime.py _apply)
    stamps = [t for t in store.get(LOOKUPS_KEY) or [] if isinstance(t, int | float)]
    stamps = [t for t in stamps if 0 <= now - t < HOUR_S]
    if limit > 0 and len(stamps) >= limit:
        store[LOOKUPS_KEY] = stamps
        return HOUR_S - (now - min(stamps))
    # whole seconds: the list is saved with the user's state after every lookup
    stamps.append(int(now))
    store[LOOKUPS_KEY] = stamps
    return None


# --- cross-feature hooks -------------------------------------------------------------------
# Features plug into the shared free-text router (handlers/router.py) and the handoff path
# (`offer_handoff` in handlers/menu.py) through the Application's BotData, so no feature module
# imports another one.

def register_flow(app: Application, name: str, text_handler: Handler,
                  reask: Handler | None = None, *, carries_words: bool = False) -> None:
    """A multi-step flow (wizard) that wants the person's free text while it is active, and
    how it repeats the question of its current step (e.g. after /bahasa switched the language
    mid-flow), so the person is not left guessing what the wizard waits for. A flow that
    `carries_words` gets every message as it is (see `BotData.carrying`)."""
    app.bot_data.flows[name] = text_handler
    if reask is not None:
        app.bot_data.reasks[name] = reask
    if carries_words:
        app.bot_data.carrying.add(name)


def start_flow(context: CallbackContext, name: str, **state: Any) -> None:
    context.chat_data["flow"] = name
    context.chat_data["flow_state"] = dict(state)


def end_flow(context: CallbackContext) -> None:
    context.chat_data.pop("flow", None)
    context.chat_data.pop("flow_state", None)


def active_flow(context: CallbackContext) -> str | None:
    return context.chat_data.get("flow")


# Words that open a question, in both languages ("gmn", "brp": as people type them).
QUESTION_WORDS = frozenset(
    "apa apakah apanya bagaimana gimana gmn bgmn gmana kapan berapa brp dimana mana kemana "
    "kenapa mengapa knp siapa bisakah bolehkah haruskah adakah perlukah "
    "how what when where why who which can could is are does do should".split())


def looks_like_new_question(text: str, *, typed_step: bool = True) -> bool:
    """Free text inside a wizard that is clearly a new question, not an answer to its step:
    a question mark or a question word, at least three words, and - at a step that takes a
    typed date or number (`typed_step`) - no digits (there they are an answer, right or
    wrong). "kapan jadwal pelunasan?" is; "14 maret 1978", "ibu saya" and "ok" are not; at a
    button question "kapan pelunasan tahap 1?" is too."""
    words = text.casefold().replace("?", " ? ").split()
    if len(words) < 3 or (typed_step and any(ch.isdigit() for ch in text)):
        return False
    return "?" in words or any(w.strip(",.!") in QUESTION_WORDS for w in words[:3])


async def reask(update: Update, context: CallbackContext) -> bool:
    """Repeat the active flow's current question; False when no flow (or no re-ask) is there."""
    func = context.application.bot_data.reasks.get(active_flow(context) or "")
    if func is None:
        return False
    # a re-ask may return False when the flow's state no longer allows one
    return await func(update, context) is not False


async def route_free_text(update: Update, context: CallbackContext) -> None:
    """Let the shared router (handlers/router.py) answer this free text: a flow that got a
    question instead of its answer ends itself and hands the text on. Flows are run only by
    that router, which installs itself as `hooks.route_text`."""
    await context.application.bot_data.hooks.route_text(update, context)


def set_reply_lang(update: Update, context: CallbackContext, lang: str) -> None:
    """Answer THIS update in `lang` (the language its question is written in), whatever the
    chat's default: everything replying to it, the helpdesk offer included, follows."""
    if lang in LANGS:
        outcomes = context.application.bot_data.outcomes
        outcomes.setdefault(update.update_id, {"topic": None, "score": None,
                                               "handoff": False})["lang"] = lang


# chat_data: the language the person last wrote in, when their words said so clearly
WRITTEN_LANG_KEY = "written_lang"


def note_message_lang(update: Update, context: CallbackContext, text: str) -> str | None:
    """Answer this update in the language `text` is written in when its words say so clearly
    (every reply to it follows: a status card, a flow's step, the helpdesk), and remember it
    for the chat's next messages that say nothing either way ("3509412276", "ok")."""
    detected = detect(text)
    if detected is not None:
        note_written_lang(update, context, detected)
    return detected


def note_written_lang(update: Update, context: CallbackContext, lang: str) -> None:
    """The person wrote this update in `lang`: answer it so, and remember it for the chat."""
    set_reply_lang(update, context, lang)
    if context.chat_data is not None:
        context.chat_data[WRITTEN_LANG_KEY] = lang


def lang_of(update: Update | None, context: CallbackContext) -> str:
    """The reply's language: the language of the message being answered (`set_reply_lang`),
    else the chat's: the /bahasa choice, else the language the person last wrote in, else the
    Telegram client language, else id."""
    if update is not None:
        outcome = context.application.bot_data.outcomes.get(update.update_id)
        if outcome and outcome.get("lang") in LANGS:
            return outcome["lang"]
    chosen = context.user_data.get("lang") if context.user_data is not None else None
    if chosen in LANGS:
        return chosen
    written = context.chat_data.get(WRITTEN_LANG_KEY) if context.chat_data is not None else None
    if written in LANGS:
        return written
    user = update.effective_user if update is not None else None
    code = (user.language_code or "") if user is not None else ""
    return "en" if code.lower().startswith("en") else "id"


def pelunasan_policy(context: CallbackContext) -> dict:
    """The season's pelunasan policy (season, Tahap windows), loaded once per Services: the
    status card and /pelunasan read a record against the same one."""
    svc = services(context)
    policy = svc.extras.get("pelunasan_policy")
    if policy is None:
        from knowledge.policy_loader import load_policy

        policy = svc.extras["pelunasan_policy"] = load_policy("pelunasan")
    return policy


def retry_after_s(exc: RetryAfter) -> float:
    """The seconds Telegram asked to wait (an int or a timedelta, by PTB version)."""
    with warnings.catch_warnings():  # PTB 22.2+ warns that it will become a timedelta
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: Any = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)

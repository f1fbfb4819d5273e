"""`hajibot run --polling|--webhook`, `hajibot chat`, `hajibot ask`, and bare `hajibot`.

Bare `hajibot`: with HAJIBOT_TELEGRAM_TOKEN set, polling; otherwise the console chat on the
embedded defaults (SQLite, the Siskohat simulator with demo data, the mirror filled from it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import get_settings
from bot.terminal import quiet_terminal


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="run the Telegram bot (polling or webhook)")
    mode = run.add_mutually_exclusive_group(required=True)
    mode.add_argument("--polling", action="store_true", help="long polling (a worker)")
    mode.add_argument("--webhook", action="store_true",
                      help="aiohttp server on HAJIBOT_PORT: /telegram, /healthz, /metrics")
    run.set_defaults(func=_run)

    chat = sub.add_parser("chat", help="talk to the bot in this terminal (no Telegram)")
    _person_args(chat)
    chat.set_defaults(func=_chat)

    ask = sub.add_parser("ask", help="send messages (TEXT, or one per stdin line) and print "
                                     "the replies")
    _person_args(ask)
    ask.add_argument("--json", action="store_true",
                     help='one JSON object per message: q, text, topic, score, handoff, buttons')
    ask.add_argument("--channel", choices=["telegram", "whatsapp"], default="telegram",
                     help="whatsapp: a WhatsApp person (--phone: their number) through the "
                          "webhook's steps and the WhatsApp renderer, on an in-process fake "
                          "Cloud API")
    ask.add_argument("text", nargs="*", help="the message (default: read lines from stdin)")
    ask.set_defaults(func=_ask)



def _person_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", type=int, default=1, help="Telegram user id to act as (default 1)")
    p.add_argument("--lang", choices=["id", "en"], default="id",
                   help="the Telegram client language (default id)")
    p.add_argument("--phone", help="phone number a 'share contact' button sends")


def _run(args) -> int:
    settings = get_settings()
    whatsapp = bool(settings.whatsapp_token and settings.whatsapp_phone_id)
    if settings.telegram_token is None and not (whatsapp and args.webhook):
        print("hajibot run needs HAJIBOT_TELEGRAM_TOKEN (from @BotFather), or for WhatsApp "
              "alone `--webhook` with HAJIBOT_WHATSAPP_TOKEN, _PHONE_ID and _APP_SECRET. "
              "Without a token, try `hajibot chat`.", file=sys.stderr)
        return 2
    if args.webhook:
        from bot.web import run_webhook

        if whatsapp and not settings.whatsapp_app_secret:
            print("the WhatsApp webhook needs HAJIBOT_WHATSAPP_APP_SECRET (Meta app secret: "
                  "it signs every POST /whatsapp).", file=sys.stderr)
            return 2
        if settings.telegram_token is not None and (settings.webhook_secret is None
                                                    or not settings.webhook_url):
            print("webhook mode needs HAJIBOT_WEBHOOK_URL (public https URL of /telegram) and "
                  "HAJIBOT_WEBHOOK_SECRET (a random string Telegram echoes back).",
                  file=sys.stderr)
            return 2
        return run_webhook(settings)
    return _polling(settings)


def _polling(settings) -> int:
    from bot.app import build_application
    from bot.web import ALLOWED_UPDATES

    build_application(settings).run_polling(allowed_updates=ALLOWED_UPDATES)
    return 0


def _chat(args) -> int:
    from bot.channels.console import chat

    settings = get_settings()
    quiet_terminal(settings)
    return asyncio.run(chat(settings, user_id=args.user, lang=args.lang, phone=args.phone))


def _ask(args) -> int:
    from bot.channels.ask import ask

    settings = get_settings()
    quiet_terminal(settings)
    lines = [" ".join(args.text)] if args.text else sys.stdin
    return asyncio.run(ask(settings, lines, as_json=args.json, user_id=args.user,
                           lang=args.lang, phone=args.phone, out=sys.stdout,
                           channel=args.channel))


def main_job(args=None) -> int:
    """Bare `hajibot`: Telegram polling when a token is set, else the console chat."""
    settings = get_settings()
    if settings.telegram_token is not None:
        from db import migrate

        migrate.upgrade(settings.database_url)
        return _polling(settings)
    from bot.channels.console import chat

    quiet_terminal(settings)
    return asyncio.run(chat(settings, user_id=1, lang="id", phone=None))

"""Prometheus metrics of the bot runtime (default registry; served by bot/web.py at /metrics).

Siskohat calls, failures and breaker state are defined next to the client in
integration/metrics.py on the same registry.
"""

from __future__ import annotations

from functools import cache

from prometheus_client import Counter, Histogram

UPDATES = Counter("hajibot_updates", "Telegram updates received, by kind", ["kind"])
DUPLICATES = Counter("hajibot_duplicate_updates",
                     "Updates ignored because their update_id was already processed")
THROTTLED = Counter("hajibot_throttled_updates", "Messages dropped by per-user throttling")
REPLIES = Counter("hajibot_replies", "Successful Bot API sends, by method", ["method"])
STATE_ERRORS = Counter("hajibot_state_errors",
                       "Per-update database steps that failed (load: the update was not "
                       "handled and the person was asked to send again)", ["step"])
ERRORS = Counter("hajibot_handler_errors", "Exceptions raised by handlers (see error ids in log)")
LATENCY = Histogram(
    "hajibot_update_seconds",
    "Wall time to handle one update (state load, handlers, state save)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
NOTIFY_SENT = Counter("hajibot_notifications_sent", "Notifications sent, by kind", ["kind"])
NOTIFY_DEFERRED = Counter("hajibot_notifications_deferred",
                          "Notifications held back by quiet hours (sent later)")
NOTIFY_RETRIED = Counter("hajibot_notifications_retried",
                         "Notification sends answered 429 (sent again after retry_after)")
NOTIFY_FAILED = Counter("hajibot_notifications_failed", "Notifications given up")
NOTIFY_BLOCKED = Counter("hajibot_notifications_blocked",
                         "Notifications dropped because the person blocked the bot (their "
                         "subscriptions removed)")

# WhatsApp (bot/channels/whatsapp*.py): what came in, what went out, what failed
WA_INBOUND = Counter("hajibot_whatsapp_inbound", "WhatsApp webhook items, by outcome "
                     "(stored, duplicate, status, refused)", ["outcome"])
WA_STATUSES = Counter("hajibot_whatsapp_statuses",
                      "WhatsApp delivery status callbacks, by status", ["status"])
WA_SENT = Counter("hajibot_whatsapp_sent", "Cloud API messages sent, by kind", ["kind"])
WA_SEND_ERRORS = Counter("hajibot_whatsapp_send_errors",
                         "Cloud API sends that failed after their retries, by error code",
                         ["code"])
WA_RETRIES = Counter("hajibot_whatsapp_send_retries",
                     "Cloud API calls retried (rate limits, 5xx, network), by error code",
                     ["code"])
WA_WINDOW_CLOSED = Counter("hajibot_whatsapp_window_closed",
                           "Free-form sends refused: the 24-hour window was closed")


# The labelled children counted on every update, looked up once (`labels()` takes a lock and
# hashes its values on each call). The method is the Bot API's, the kind update_kind's: both
# come from short fixed lists.
@cache
def updates(kind: str):
    return UPDATES.labels(kind)


@cache
def replies(method: str):
    return REPLIES.labels(method)

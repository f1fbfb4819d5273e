"""Prometheus metrics of the Siskohat client (default registry; exposed by the bot's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Enum, Histogram

SISKOHAT_CALLS = Counter(
    "hajibot_siskohat_calls",
    "Siskohat calls by call and outcome (ok, not_found, error, unavailable, auth, breaker_open)",
    ["call", "outcome"],
)
SISKOHAT_LATENCY = Histogram(
    "hajibot_siskohat_latency_seconds",
    "Wall time of one Siskohat call, retries included",
    ["call"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SISKOHAT_BREAKER = Enum(
    "hajibot_siskohat_breaker",
    "State of the Siskohat circuit breaker",
    states=["closed", "open", "half-open"],
)
NOTIFY_QUEUED = Counter("hajibot_notifications_queued",
                        "Notifications queued by a mirror write (or a reminder, an "
                        "announcement), by kind", ["kind"])

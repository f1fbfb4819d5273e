"""Typed settings from the environment (prefix HAJIBOT_), with embedded defaults.

With nothing set, the bot runs on SQLite under ./var/, talks to the local Siskohat simulator and
starts the console chat (no Telegram token).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from db import VAR_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HAJIBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage
    database_url: str = Field(default=f"sqlite:///{VAR_DIR}/hajibot.sqlite3")

    # --- Siskohat (the simulator on loopback by default)
    siskohat_url: str = "http://127.0.0.1:8790"
    siskohat_key: SecretStr = SecretStr("demo-key")
    siskohat_push_secret: SecretStr | None = None  # HMAC key of push events; unset = no endpoint
    siskohat_timeout_s: float = 2.0  # per attempt
    siskohat_total_timeout_s: float = 5.0  # cap over all retries
    siskohat_max_age_s: int = 6 * 3600  # mirror copy older than this -> refresh on demand
    simulator_data: Path | None = None  # CSV the embedded simulator serves; demo data if unset
    embedded_simulator: bool = True  # `hajibot` starts the simulator itself when URL is loopback

    # --- Telegram
    telegram_token: SecretStr | None = None
    telegram_base_url: str | None = None  # another Bot API server; token appended as PTB does
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: int = 8080
    # updates of different chats processed at once by one process (one chat's, one user's:
    # always one at a time, in order)
    concurrent_updates: int = Field(default=64, ge=1)
    # SIGTERM: updates being processed get this long to finish; the rest stay in the inbox
    shutdown_deadline_s: float = 20.0
    # a worker's claim on an inbox update not refreshed for this long (it heartbeats every
    # sixth of it, at most every 5 s) means the worker died: another one takes the update over
    inbox_claim_timeout_s: float = Field(default=30.0, gt=0)
    # pacing and the one retry layer for 429s (bot/limiter.py) in front of Telegram; off only for a
    # local test Bot API (bench/bench_load.py)
    telegram_rate_limit: bool = True
    # GET /healthz/deep (one Siskohat ping) from elsewhere than loopback: Bearer this token
    health_token: SecretStr | None = None

    # --- WhatsApp Business Cloud API (bot/channels/whatsapp*.py); the channel runs when the
    # token and phone id are set, its webhook (POST /whatsapp) when the app secret is set too
    whatsapp_token: SecretStr | None = None
    whatsapp_phone_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None  # HMAC key of X-Hub-Signature-256
    whatsapp_verify_token: SecretStr | None = None  # GET /whatsapp handshake (hub.verify_token)
    whatsapp_base_url: str = "https://graph.facebook.com"  # the Graph API; tests: the fake
    whatsapp_api_version: str = "23.0"
    # Approved message templates (names as approved in WhatsApp Manager, no parameters):
    # sent when the 24-hour customer-service window is closed
    whatsapp_template_helpdesk: str = "hajibot_balasan_petugas"  # "an agent answered, reply"
    # notifications outside the 24-hour window: one body parameter, a one-line summary
    whatsapp_template_notify: str = "hajibot_pemberitahuan"
    whatsapp_template_language: str = "id"
    whatsapp_send_attempts: int = Field(default=3, ge=1)  # per Cloud API call, retryable errors
    whatsapp_retry_wait_s: float = 1.0  # first back-off; doubled per attempt (+ jitter)

    # --- behaviour
    timezone: str = "Asia/Jakarta"
    max_input_chars: int = 1000
    throttle_burst: int = 5  # messages per throttle window before "please wait"
    throttle_window_s: float = 10.0
    status_lookups_per_hour: int = 30

    # --- helpdesk
    helpdesk_chat_id: int | None = None
    helpdesk_hours: str = "08:00-16:00"  # WIB, Mon-Fri, minus Indonesian public holidays
    helpdesk_reminder_minutes: int = 30

    # --- notifications (bot/notify_sender.py, `hajibot notify ...`)
    # messages a second across all chats (Telegram allows about 30; one a second per chat)
    notify_rate: float = Field(default=25.0, gt=0, le=30)
    # no notification is sent in these local hours (the pilgrim's WIB/WITA/WIT); deferred,
    # never dropped. Empty: off.
    notify_quiet_hours: str = "21:00-06:00"
    notify_max_per_chat: int = Field(default=10, ge=1)  # porsi one chat may watch
    # `hajibot run` sends notifications in the background (one sender at a time holds a lease)
    notify_sender: bool = True

    log_level: str = "INFO"
    # expected first response of an agent in working hours, told to the person at a new ticket
    helpdesk_response_minutes: int = 60
    # --- retention (bot/privacy.py: `hajibot db purge` and the daily job)
    # ids of applied Siskohat push events; a retry of an id within this period is a duplicate
    push_event_retention_days: int = Field(default=30, ge=1)
    state_retention_days: int = 180  # chat/user state, pelimpahan checklist untouched longer
    ticket_retention_days: int = 365  # closed helpdesk tickets: the person's words anonymised
    # The log of who saw whose personal data is the proof each view was legitimate; no source
    # says for how long it must be kept, so by default it is kept (0) until the data
    # protection officer sets a period.
    audit_retention_days: int = 0

    @field_validator("notify_quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        from knowledge.notify import parse_quiet_hours

        parse_quiet_hours(value)  # ValueError -> a clear settings error at start-up
        return value.strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

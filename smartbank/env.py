"""Strict parsing of settings from environment variables.

A malformed value stops start-up with a message naming the variable, so a typo in a
deployment never turns silently into a default.
"""

import os
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
# An empty value (``DEBUG=`` from a template with nothing filled in) counts as off: the
# safe reading for DEBUG, the variable where it matters most.
_FALSE = {"0", "false", "no", "off", ""}
_DURATION = re.compile(r"^(?P<count>\d+)(?P<unit>[smhd]?)$")
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
# What DRF's throttles accept: "<count>/<period>", the period read from its first letter.
_RATE = re.compile(r"^[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)$")
_REDIS_SCHEMES = {"redis", "rediss", "unix"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no/on/off, got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list; blanks around and between items are ignored."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_duration(name: str, default: timedelta) -> timedelta:
    """A positive duration such as ``300s``, ``15m``, ``12h`` or ``7d`` (a bare number is seconds)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    match = _DURATION.match(raw.strip().lower())
    if not match:
        raise ImproperlyConfigured(
            f"{name} must be a duration like 300s, 15m, 12h or 7d, got {raw!r}."
        )
    seconds = int(match["count"]) * _DURATION_UNITS[match["unit"]]
    if seconds <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive duration, got {raw!r}.")
    return timedelta(seconds=seconds)


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as ``10/min`` or ``100/hour``."""
    value = env_str(name, default)
    if not _RATE.match(value):
        raise ImproperlyConfigured(f"{name} must be a rate like 10/min or 100/hour, got {value!r}.")
    return value


def env_database(name: str, default: str, **options: Any) -> dict[str, Any]:
    """A Django DATABASES entry from a URL such as ``postgres://user:pass@host:5432/db``."""
    url = env_str(name) or default
    try:
        database = dj_database_url.parse(url, **options)
    except ValueError as exc:
        # The message names the scheme only: the URL itself may carry a password.
        raise ImproperlyConfigured(f"{name} is not a valid database URL: {exc}") from None
    if database["ENGINE"] != "django.db.backends.sqlite3" and not database.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database, e.g. postgres://host/smartbank.")
    return database


def env_redis_url(name: str) -> str:
    """A Redis URL (``redis://``, ``rediss://`` or ``unix://``), or "" when unset."""
    url = env_str(name)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in _REDIS_SCHEMES or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(
            f"{name} must be a redis://, rediss:// or unix:// URL, e.g. redis://localhost:6379/0."
        )
    return url


def redis_url_for_test_worker(url: str, worker: str) -> str:
    """``url`` moved to its own Redis database for one pytest-xdist worker ("gw0", "gw1"...).

    pytest-django gives each worker its own test database; this does the same for Redis,
    because the tests' cache.clear() is a FLUSHDB that would otherwise wipe another worker's
    keys in the middle of its test. Worker N takes database (the URL's, default 0) + N.
    """
    if not worker.startswith("gw") or not worker[2:].isdigit():
        return url
    parts = urlsplit(url)
    if parts.scheme == "unix":  # the database is a query parameter there; runs use TCP
        return url
    database = int(parts.path.strip("/") or 0) + int(worker[2:])
    return parts._replace(path=f"/{database}").geturl()


_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def env_decimal(name: str, default: str, *, minimum: str | None = None) -> Decimal:
    """A plain non-negative decimal number such as ``2.5`` (no sign, exponent or separators)."""
    raw = os.environ.get(name)
    text = default if raw is None or not raw.strip() else raw.strip()
    if not _DECIMAL.match(text):
        raise ImproperlyConfigured(f"{name} must be a decimal number like 2.5, got {raw!r}.")
    value = Decimal(text)
    if minimum is not None and value < Decimal(minimum):
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {text}.")
    return value

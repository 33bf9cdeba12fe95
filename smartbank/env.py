"""Strict parsing of settings from environment variables.

A malformed value stops start-up with a message naming the variable, so a typo in a
deployment never turns silently into a default.
"""

import os
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


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
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_duration(name: str, default: timedelta) -> timedelta:
    """A duration such as ``300s``, ``15m``, ``12h`` or ``7d`` (a bare number is seconds)."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    unit = value[-1] if value[-1] in _DURATION_UNITS else "s"
    number = value[:-1] if value[-1] in _DURATION_UNITS else value
    try:
        count = int(number)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a duration like 300s, 15m, 12h or 7d, got {raw!r}."
        ) from None
    if count <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive duration, got {raw!r}.")
    return timedelta(seconds=count * _DURATION_UNITS[unit])


def env_rate(name: str, default: str) -> str:
    """A DRF throttle rate such as ``10/min``."""
    value = env_str(name, default)
    count, _, period = value.partition("/")
    if not count.isdigit() or not period or period[0] not in "smhd":
        raise ImproperlyConfigured(f"{name} must be a rate like 10/min or 100/hour, got {value!r}.")
    return value

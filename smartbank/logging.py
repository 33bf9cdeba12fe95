"""JSON logs for production, with secrets and account numbers redacted."""

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from smartbank import request_context

REDACTED = "[REDACTED]"
_SENSITIVE_KEYS = re.compile(
    r"pass(word)?|secret|token|access|refresh|authorization|cookie|account_number|iban|card_number",
    re.IGNORECASE,
)
_SENSITIVE_PATTERNS = [
    # JWTs: three base64url parts.
    re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._\-]+"),
    # key=value or "key": "value" pairs whose key is sensitive.
    re.compile(
        r"(?i)(\"?(?:password|secret|token|access|refresh|account_number)\"?\s*[:=]\s*)\"?[^\s,\"}&]+\"?"
    ),
    # IBANs and long digit runs (account and card numbers).
    re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b"),
    re.compile(r"\b(?:\d[ \-]?){8,}\d\b"),
]


def redact_text(text: str) -> str:
    for pattern in _SENSITIVE_PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    if _SENSITIVE_KEYS.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    return value


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed log call must not lose the line
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, redact_value(key, value))
        return True


class RequestContextFilter(logging.Filter):
    """Stamps each record with the request id and user of the request that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = request_context.current()
        if not getattr(record, "request_id", None):
            record.request_id = context.request_id or "-"
        if getattr(record, "user_id", None) is None and context.user_id is not None:
            record.user_id = context.user_id
        return True


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("datefmt", "%Y-%m-%dT%H:%M:%S%z")
        super().__init__(*args, **kwargs)

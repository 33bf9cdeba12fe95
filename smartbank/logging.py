"""JSON logs for production, with secrets and account numbers redacted.

Redaction happens twice on purpose: ``RedactingFilter`` cleans the message and extra fields
of every record whatever the format, and ``JsonFormatter`` cleans the final document again,
including tracebacks and objects (a request's repr carries its query string) that only
become text when they are serialised.
"""

import logging
import re
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

from smartbank import request_context

REDACTED = "[REDACTED]"

_SENSITIVE_WORDS = (
    r"password|passwd|passphrase|secret|token|access|refresh|api[_-]?key|authorization"
    r"|cookie|account[_-]?number|iban|card[_-]?number|cvv"
)
# A field whose name says it holds a secret is dropped whole, whatever its value.
_SENSITIVE_KEY = re.compile(rf"pass|{_SENSITIVE_WORDS}", re.IGNORECASE)

_SENSITIVE_PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    # Credentials inside URLs: redis://:secret@host, postgres://user:secret@host.
    (re.compile(r"(://[^/\s:@]*:)[^/\s@]+@"), rf"\g<1>{REDACTED}@"),
    # JWTs: three base64url parts, the first always starting with {" encoded.
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*"), REDACTED),
    # Authorization header values.
    (re.compile(r"(?i)\b(bearer)\s+[\w.~+/=-]+"), rf"\g<1> {REDACTED}"),
    (re.compile(r"\b(Basic)\s+[A-Za-z0-9+/]{8,}={0,2}"), rf"\g<1> {REDACTED}"),
    # key=value, key: value, "key": "value" and 'key': 'value' whose key names a secret
    # (new_password, refresh_token...). The key's prefix is left unmatched and its suffix
    # bounded, so a long run of word characters cannot make the search quadratic.
    (
        re.compile(
            rf"""(?ix)
            ((?:{_SENSITIVE_WORDS})[\w-]{{0,40}}["']?[ \t]{{0,5}}[:=][ \t]{{0,5}})
            (?!["']?\[REDACTED\])  # already redacted (another handler's filter ran first)
            ("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}}\]]+)
            """
        ),
        lambda m: (
            m.group(1)
            + (m.group(2)[0] + REDACTED + m.group(2)[0] if m.group(2)[0] in "\"'" else REDACTED)
        ),
    ),
    # IBANs, compact or in groups of four.
    (re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), REDACTED),
    # Card numbers in groups (4111 1111 1111 1111) and account numbers (8+ digits).
    (re.compile(r"\b\d{4}(?:[ -]\d{4}){2,}(?:[ -]\d{1,4})?\b"), REDACTED),
    (re.compile(r"\b\d{8,}\b"), REDACTED),
]


def redact_text(text: str) -> str:
    for pattern, replacement in _SENSITIVE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(key: str, value: Any) -> Any:
    """``value`` with secrets removed; the whole value when ``key`` names a secret."""
    if value is None or isinstance(value, bool | int | float):
        # Numbers stay numbers (ids, status codes, durations); an account number logged
        # as an int under a sensitive key is still dropped by the key check below.
        return REDACTED if _SENSITIVE_KEY.search(key) and value is not None else value
    if _SENSITIVE_KEY.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact_value(key, v) for v in value]
    return value


_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
}


class RedactingFilter(logging.Filter):
    """Redacts a record's message, extra fields and traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call must not lose the line
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, redact_value(key, value))
        return True


class RequestContextFilter(logging.Filter):
    """Stamps each record with the request id and user of the request that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Imported here: smartbank.middleware imports django.http, and this module is
        # loaded while logging is configured, before the apps are ready.
        from smartbank.middleware import current_user_id

        context = request_context.current()
        if not getattr(record, "request_id", None):
            record.request_id = context.request_id or "-"
        if getattr(record, "user_id", None) is None:
            user_id = current_user_id()
            if user_id is not None:
                record.user_id = user_id
        return True


class JsonFormatter(_BaseJsonFormatter):
    """One JSON object per line: time (UTC), level, logger, message and the extra fields."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        super().__init__(*args, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging.Formatter's name
        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")

    def process_log_record(self, log_data):
        return {
            key: redact_value(key, value if _is_json_native(value) else str(value))
            for key, value in log_data.items()
        }


def _is_json_native(value: Any) -> bool:
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, dict):
        return all(_is_json_native(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_is_json_native(v) for v in value)
    return False

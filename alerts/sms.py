"""A small pluggable SMS layer, shaped like Django's email backends.

``settings.SMS_BACKEND`` is the dotted path of a backend class. A backend takes
``fail_silently`` and keyword options, and ``send_messages(messages) -> int`` sends
``SmsMessage`` objects and returns how many went out; a failure raises (unless
fail_silently), which is what makes the delivery task retry.

Backends here: ``ConsoleSmsBackend`` (the default: prints, for development) and
``LocmemSmsBackend`` (keeps messages in the module-level ``outbox`` list, for tests). A real
provider is one more class with the same method, named in SMS_BACKEND.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from django.conf import settings
from django.utils.module_loading import import_string

# What LocmemSmsBackend has "sent", oldest first. Tests clear it.
outbox: list[SmsMessage] = []


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str


class BaseSmsBackend:
    def __init__(self, *, fail_silently: bool = False, **kwargs) -> None:
        self.fail_silently = fail_silently

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes each message to a stream (stdout by default) instead of sending it."""

    _lock = threading.Lock()

    def __init__(self, *, stream: TextIO | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        with self._lock:
            for message in messages:
                self.stream.write(f"SMS to {message.to}\n{message.body}\n{'-' * 40}\n")
            self.stream.flush()
        return len(messages)


class LocmemSmsBackend(BaseSmsBackend):
    """Appends each message to ``alerts.sms.outbox``."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_sms_backend(path: str | None = None, **kwargs) -> BaseSmsBackend:
    """An instance of the backend at ``path``, or of ``settings.SMS_BACKEND``."""
    return import_string(path or settings.SMS_BACKEND)(**kwargs)

"""Who and what the current request is, for logs and the audit trail.

A ContextVar is per request (per thread or task), never shared between processes.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    # The HttpRequest itself, so logs can read the user DRF authenticates inside the view.
    request: Any = None


# The default is frozen, so sharing one instance is safe.
_current: ContextVar[RequestContext] = ContextVar(
    "smartbank_request",
    default=RequestContext(),  # noqa: B039
)


def current() -> RequestContext:
    return _current.get()


def set_current(context: RequestContext):
    return _current.set(context)


def reset(token) -> None:
    _current.reset(token)

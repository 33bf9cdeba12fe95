import logging
import re
import time
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from django.utils.functional import SimpleLazyObject, empty

from smartbank import request_context
from smartbank.exceptions import request_too_large_response

request_logger = logging.getLogger("smartbank.request")

_REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
# Bodies parsed in memory; multipart uploads stream to disk under Django's own limits.
_LIMITED_CONTENT_TYPES = re.compile(r"(^application/x-www-form-urlencoded$)|json", re.IGNORECASE)


def client_ip(request) -> str | None:
    """The client's address: the TCP peer, or the entry TRUSTED_PROXY_COUNT proxies back.

    The same rule as DRF's throttles (NUM_PROXIES), so logs, the audit trail and the login
    throttle agree on who the client is. X-Forwarded-For is read only when proxies are
    declared, because any client can send one.
    """
    remote_addr = request.META.get("REMOTE_ADDR") or None
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if hops == 0 or not forwarded:
        return remote_addr
    return forwarded[-min(hops, len(forwarded))]


def authenticated_user_id(request) -> int | None:
    """The id of the user the request is authenticated as, if that is already known.

    DRF authenticates JWT inside the view and then replaces ``request.user``; Django's
    session user is a lazy object until something looks at it. Only a user that has been
    resolved counts: resolving one here would run queries from inside a log call.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject):
        if user._wrapped is empty:
            return None
        user = user._wrapped
    return user.pk if getattr(user, "is_authenticated", False) else None


def current_user_id() -> int | None:
    """The authenticated user of the request being handled in this context, if known."""
    request = request_context.current().request
    return authenticated_user_id(request) if request is not None else None


class RequestContextMiddleware:
    """Gives each request an id, logs one line for it and exposes both to logs and audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID_SHAPE.match(incoming) else uuid.uuid4().hex
        context_token = request_context.set_current(
            request_context.RequestContext(
                request_id=request.id, ip_address=client_ip(request), request=request
            )
        )
        started = time.perf_counter()
        try:
            # Django wraps every middleware so that an exception in a view arrives here as
            # a 500 response, not as an exception: every request gets its line.
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "request_id": request.id,
                    "user_id": authenticated_user_id(request),
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            request_context.reset(context_token)


class JsonBodySizeLimitMiddleware:
    """Refuses a JSON (or form) body over MAX_JSON_BODY_BYTES before anything parses it.

    A declared Content-Length over the limit is refused without reading a byte. A missing
    or understated one (chunked uploads under ASGI) is caught by reading the body through
    ``request.body``, which stops at DATA_UPLOAD_MAX_MEMORY_SIZE (the same limit); DRF
    then parses the buffered copy. Under WSGI the body is never read past Content-Length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _LIMITED_CONTENT_TYPES.search(request.content_type or ""):
            return self.get_response(request)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length is not a number."}, status=400)
        if declared > settings.MAX_JSON_BODY_BYTES:
            return request_too_large_response()
        try:
            request.body  # noqa: B018 - reading it is the check
        except RequestDataTooBig:
            return request_too_large_response()
        return self.get_response(request)

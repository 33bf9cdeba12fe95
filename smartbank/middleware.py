import logging
import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse

from smartbank import request_context

request_logger = logging.getLogger("smartbank.request")

_REQUEST_ID_SHAPE = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


def client_ip(request) -> str | None:
    # REMOTE_ADDR is the peer; a proxy in front must pass the client on in its own config
    # (gunicorn --forwarded-allow-ips), not through a header any client could forge.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives each request an id, logs one line for it and exposes both to logs and audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _REQUEST_ID_SHAPE.match(incoming) else uuid.uuid4().hex
        token = request_context.set_current(
            request_context.RequestContext(request_id=request.id, ip_address=client_ip(request))
        )
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            user = getattr(request, "user", None)
            # DRF authenticates JWT inside the view, so the user is known only afterwards.
            user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
            response["X-Request-ID"] = request.id
            request_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "request_id": request.id,
                    "user_id": user_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            request_context.reset(token)


class JsonBodySizeLimitMiddleware:
    """Refuses a JSON body over MAX_JSON_BODY_BYTES before anything reads or parses it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        content_type = request.META.get("CONTENT_TYPE", "")
        if "json" in content_type:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"detail": "Content-Length is not a number."}, status=400)
            if length > settings.MAX_JSON_BODY_BYTES:
                return JsonResponse(
                    {
                        "detail": (
                            f"Request body is too large: a JSON body may be at most "
                            f"{settings.MAX_JSON_BODY_BYTES} bytes."
                        )
                    },
                    status=413,
                )
        return self.get_response(request)

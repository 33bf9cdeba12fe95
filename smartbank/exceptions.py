from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from accounts.currency import MissingRateError


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body is too large."
    default_code = "request_too_large"


class MissingRate(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "An exchange rate this needs is missing."
    default_code = "missing_rate"


def request_too_large_detail() -> str:
    # MAX_JSON_BODY_BYTES is also DATA_UPLOAD_MAX_MEMORY_SIZE, the limit Django applies.
    return f"Request body is too large: it may be at most {settings.MAX_JSON_BODY_BYTES} bytes."


def request_too_large_response() -> JsonResponse:
    """The 413 answer, for code outside DRF (the body-size middleware)."""
    return JsonResponse({"detail": request_too_large_detail()}, status=413)


def api_exception_handler(exc, context):
    """DRF's handler, plus services' Django ValidationErrors as field-level 400s.

    Errors not about one field (raised without a field, or under NON_FIELD_ERRORS) come
    under "detail", the key the services use for them, as one string: the shape of DRF's
    own ``{"detail": "..."}`` errors (404, 401, throttling), so a client reads "detail" one
    way whatever raised it; fields keep DRF's lists. A body over the upload limit that a
    parser reads (a form body, which DRF reads itself) is a 413, not a 500. A total that
    needs an exchange rate nobody has stored is a 409 naming the pair and the day.
    """
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            messages: dict = exc.message_dict
            general = messages.pop("detail", []) + messages.pop(NON_FIELD_ERRORS, [])
        else:
            messages, general = {}, exc.messages
        if general:
            messages["detail"] = " ".join(general)
        exc = exceptions.ValidationError(messages)
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(request_too_large_detail())
    elif isinstance(exc, MissingRateError):
        exc = MissingRate(str(exc))
    return exception_handler(exc, context)

"""OpenAPI generation: document the error answers each operation can actually give.

The schema class looks at the view behind each operation, so a 401 is documented only
where authentication is required, a 429 only where a throttle applies, a 403 only where a
permission beyond "logged in" is checked, and a 400 on reads only where filters are parsed.
"""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers


# Views documenting an error themselves (extend_schema(responses=...)) use these too, so
# the schema has one component for each shape.
class ErrorDetailSerializer(serializers.Serializer):
    """An error that is not about one field, e.g. {"detail": "Not found."}"""

    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text="A machine-readable error code.")


class FieldErrorsSerializer(serializers.Serializer):
    """Bad input: {"field": ["message", ...]}; the schema comes from FieldErrorsExtension."""


class FieldErrorsExtension(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": (
                'Field name to its messages, e.g. {"amount": ["A valid number is required."]}; '
                "messages not about one field come under detail or non_field_errors."
            ),
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        }


_DESCRIPTIONS = {
    "400": ("Bad input: messages per field; nothing was changed.", FieldErrorsSerializer),
    "401": ("Not authenticated, or the token is invalid or expired.", ErrorDetailSerializer),
    "403": ("Authenticated, but not allowed to do this.", ErrorDetailSerializer),
    "404": ("Not found, or not yours.", ErrorDetailSerializer),
    "413": ("Request body too large (a JSON body may be at most 1 MB).", ErrorDetailSerializer),
    "429": ("Too many requests; retry after Retry-After seconds.", ErrorDetailSerializer),
}

_BODY_METHODS = {"POST", "PUT", "PATCH"}
_LOGIN_ONLY_PERMISSIONS = (
    permissions.AllowAny,
    permissions.IsAuthenticated,
    permissions.IsAuthenticatedOrReadOnly,
)


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status in self._error_statuses(operation):
            if status in responses:
                continue
            description, serializer = _DESCRIPTIONS[status]
            component = self.resolve_serializer(serializer, "response")
            responses[status] = {
                "description": description,
                "content": {"application/json": {"schema": component.ref}},
            }
        return operation

    def _error_statuses(self, operation) -> list[str]:
        view = self.view
        statuses = []
        has_body = self.method in _BODY_METHODS
        parses_filters = self._is_list_view() and bool(
            getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None)
        )
        if has_body or parses_filters:
            statuses.append("400")
        security = operation.get("security", [])
        if security and {} not in security:
            statuses.append("401")
        if any(
            not isinstance(permission, _LOGIN_ONLY_PERMISSIONS)
            for permission in view.get_permissions()
        ):
            statuses.append("403")
        if "{" in self.path:
            statuses.append("404")
        if has_body:
            statuses.append("413")
        if getattr(view, "throttle_classes", None):
            statuses.append("429")
        return statuses


MISSING_RATE_RESPONSE = OpenApiResponse(
    ErrorDetailSerializer,
    description="An exchange rate is missing; detail names the pair and the day.",
)

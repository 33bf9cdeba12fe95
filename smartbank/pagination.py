from rest_framework import exceptions, pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """limit/offset paging that also accepts skip/limit, as older mobile clients send."""

    default_limit = 50
    max_limit = 500

    # A malformed limit/offset/skip is a 400 naming the parameter; DRF's own paginator
    # would silently fall back to the defaults and serve a page the client did not ask for.
    def _parse(self, request, name: str, *, minimum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = None
        if value is None or value < minimum:
            kind = "a positive whole number" if minimum > 0 else "a whole number, 0 or more"
            raise exceptions.ValidationError({name: [f"{name} must be {kind}."]})
        return value

    def get_limit(self, request):
        limit = self._parse(request, self.limit_query_param, minimum=1)
        if limit is None:
            return self.default_limit
        return min(limit, self.max_limit)

    def get_offset(self, request):
        name = self.offset_query_param
        if name not in request.query_params and "skip" in request.query_params:
            name = "skip"
        return self._parse(request, name, minimum=0) or 0

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        parameters.append(
            {
                "name": "skip",
                "required": False,
                "in": "query",
                "description": "Alias of offset.",
                "schema": {"type": "integer"},
            }
        )
        return parameters

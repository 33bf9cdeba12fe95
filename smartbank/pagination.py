from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """limit/offset paging that also accepts skip/limit, as older mobile clients send."""

    default_limit = 50
    max_limit = 500

    def get_offset(self, request):
        if self.offset_query_param not in request.query_params and "skip" in request.query_params:
            try:
                return max(0, int(request.query_params["skip"]))
            except (TypeError, ValueError):
                return 0
        return super().get_offset(request)

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

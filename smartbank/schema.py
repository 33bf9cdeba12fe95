"""OpenAPI post-processing: document the error shapes every operation can return."""

ERROR_SCHEMAS = {
    "ErrorDetail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": 'Field name to list of messages, e.g. {"amount": ["A valid number is required."]}',
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
}

_ERRORS = {
    "400": ("Bad input: field-level messages.", "FieldErrors"),
    "401": ("Not authenticated, or the token is invalid or expired.", "ErrorDetail"),
    "404": ("Not found, or not yours.", "ErrorDetail"),
    "413": ("Request body too large.", "ErrorDetail"),
    "429": ("Too many requests; retry later.", "ErrorDetail"),
}


def add_error_responses(result, generator, request, public):
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.update(ERROR_SCHEMAS)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            secured = operation.get("security") != [{}] and "security" in operation
            for status, (description, schema) in _ERRORS.items():
                if status in responses:
                    continue
                if status == "401" and not secured:
                    continue
                if status == "404" and "{" not in path:
                    continue
                if status in ("400", "413") and method not in ("post", "put", "patch"):
                    continue
                responses[status] = {
                    "description": description,
                    "content": {
                        "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
                    },
                }
    return result

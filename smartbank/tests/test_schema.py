"""The OpenAPI schema at /api/schema/ and the Swagger UI at /api/docs/."""

import io
import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_generates_and_validates_without_a_warning():
    # Any warning or error from any view fails here, naming the view and field.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null", stdout=io.StringIO()
    )


def test_the_schema_is_served_as_openapi_3(anon_client):
    response = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.")
    assert body["info"]["title"] == "SmartBank API"
    assert all(path.startswith("/api/v1/") for path in body["paths"])


def test_the_jwt_bearer_scheme_is_declared_and_required_by_the_api(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    me = schema["paths"]["/api/v1/users/me/"]["get"]
    assert {"jwtAuth": []} in me["security"]
    assert {} not in me["security"]


def test_the_error_shapes_are_components(schema):
    components = schema["components"]["schemas"]

    assert components["ErrorDetail"]["properties"]["detail"] == {"type": "string"}
    assert components["ErrorDetail"]["required"] == ["detail"]
    assert components["FieldErrors"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }


def error_codes(schema, path, method):
    return {code for code in schema["paths"][path][method]["responses"] if code[0] in "45"}


def test_errors_are_documented_where_they_can_happen(schema):
    # A create: bad input, not logged in, too large; no object id, so no 404.
    assert error_codes(schema, "/api/v1/accounts/", "post") == {"400", "401", "413"}
    # A read of one object: not logged in or not found; no body, so no 400 or 413.
    assert error_codes(schema, "/api/v1/accounts/{id}/", "get") == {"401", "404"}
    # A filtered list: a bad filter value is a 400.
    assert error_codes(schema, "/api/v1/transactions/", "get") == {"400", "401"}
    # Login is anonymous and throttled.
    login = error_codes(schema, "/api/v1/auth/login/", "post")
    assert {"400", "413", "429"} <= login
    assert "429" not in error_codes(schema, "/api/v1/accounts/", "post")


def test_documented_errors_point_at_the_shared_components(schema):
    responses = schema["paths"]["/api/v1/accounts/{id}/"]["patch"]["responses"]

    def ref(code):
        return responses[code]["content"]["application/json"]["schema"]["$ref"]

    assert ref("400") == "#/components/schemas/FieldErrors"
    assert ref("404") == ref("413") == "#/components/schemas/ErrorDetail"


# --- Swagger UI ----------------------------------------------------------------------


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_swagger_ui_loads_its_assets_from_our_own_static_files(anon_client):
    response = anon_client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    urls = asset_urls(html)
    assert any(url.endswith("swagger-ui-bundle.js") for url in urls)
    assert all(url.startswith("/static/drf_spectacular_sidecar/") for url in urls), urls
    assert "cdn" not in html.lower()
    # No badge fetched from validator.swagger.io either.
    assert '"validatorUrl": null' in html
    assert 'url: "/api/schema/"' in html


def test_the_swagger_ui_assets_are_served(anon_client):
    urls = asset_urls(anon_client.get("/api/docs/").content.decode())

    for url in urls:
        response = anon_client.get(url)
        assert response.status_code == 200, url
        content = b"".join(response.streaming_content) if response.streaming else response.content
        assert content, url

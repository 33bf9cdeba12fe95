"""Request ids, the request log line, client addresses, CORS and the request body limit."""

import asyncio
import json
import re

import pytest
from asgiref.sync import async_to_sync
from django.core import signals
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.handlers.asgi import ASGIHandler
from django.db import close_old_connections
from django.test import Client
from django.urls import path
from rest_framework.throttling import BaseThrottle

from accounts.models import BankAccount
from smartbank.exceptions import api_exception_handler
from smartbank.middleware import client_ip
from smartbank.tests.test_logging import captured_logs

ACCOUNTS_URL = "/api/v1/accounts/"
TEN_MB = 10 * 1024 * 1024

pytestmark = pytest.mark.django_db


def request_lines(logs):
    return [line for line in logs.lines() if line["logger"] == "smartbank.request"]


# --- Request id ----------------------------------------------------------------------


def test_a_valid_request_id_is_echoed(anon_client):
    response = anon_client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a.42")

    assert response["X-Request-ID"] == "edge-7f3a.42"


@pytest.mark.parametrize("incoming", [None, "", "has space", "a" * 65, "new\nline", "é"])
def test_a_missing_or_malformed_request_id_is_replaced_by_a_new_one(anon_client, incoming):
    headers = {} if incoming is None else {"HTTP_X_REQUEST_ID": incoming}

    response = anon_client.get("/healthz", **headers)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_each_request_gets_its_own_id(anon_client):
    first = anon_client.get("/healthz")["X-Request-ID"]
    second = anon_client.get("/healthz")["X-Request-ID"]

    assert first != second


# --- One log line per request --------------------------------------------------------


def test_an_anonymous_request_logs_one_line_with_its_details(anon_client):
    with captured_logs() as logs:
        response = anon_client.get("/healthz?probe=1", HTTP_X_REQUEST_ID="probe-1")

    [line] = request_lines(logs)
    assert line["message"] == "GET /healthz 200"
    assert line["request_id"] == "probe-1" == response["X-Request-ID"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert line["user_id"] is None
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0


def test_a_jwt_request_logs_the_user_it_authenticated(api_client, user):
    # DRF authenticates the token inside the view, after the middleware has started.
    with captured_logs() as logs:
        response = api_client.get("/api/v1/users/me/")

    assert response.status_code == 200
    [line] = request_lines(logs)
    assert (line["user_id"], line["status"]) == (user.pk, 200)


def test_a_session_request_logs_its_user(client, staff):
    admin = staff["admin"]
    client.force_login(admin)

    with captured_logs() as logs:
        response = client.get("/admin/")

    assert response.status_code == 200
    [line] = request_lines(logs)
    assert line["user_id"] == admin.pk


def test_a_rejected_token_logs_no_user(anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    with captured_logs() as logs:
        response = anon_client.get("/api/v1/users/me/")

    assert response.status_code == 401
    [line] = request_lines(logs)
    assert (line["user_id"], line["status"]) == (None, 401)


def crash(request):
    raise RuntimeError("boom")


urlpatterns = [path("crash/", crash)]


@pytest.mark.urls(__name__)
def test_a_crashing_view_still_gets_its_line_and_request_id():
    with captured_logs() as logs:
        response = Client(raise_request_exception=False).get("/crash/")

    assert response.status_code == 500
    assert response["X-Request-ID"]
    assert [line["status"] for line in request_lines(logs)] == [500]


def test_a_redirect_to_https_is_logged_with_its_id(anon_client, settings):
    settings.SECURE_SSL_REDIRECT = True
    with captured_logs() as logs:
        response = anon_client.get(ACCOUNTS_URL)

    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert response["X-Request-ID"]
    assert [line["status"] for line in request_lines(logs)] == [301]


# --- Client address ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "", "10.0.0.5"),
        (0, "203.0.113.9", "10.0.0.5"),  # forged by the client: ignored
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the first entry is the client's own
        (2, "198.51.100.1, 203.0.113.9", "198.51.100.1"),
        (1, "", "10.0.0.5"),
    ],
)
def test_the_client_address_agrees_with_the_login_throttle(
    rf, settings, proxies, forwarded_for, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", **headers)

    assert client_ip(request) == expected
    assert BaseThrottle().get_ident(request) == expected


def test_drf_trusts_exactly_the_configured_proxies(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT


# --- CORS ----------------------------------------------------------------------------


@pytest.fixture
def cors(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]


@pytest.mark.usefixtures("cors")
def test_an_allowed_origin_may_call_the_api(api_client):
    response = api_client.get(ACCOUNTS_URL, HTTP_ORIGIN="https://app.example.com")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"


@pytest.mark.usefixtures("cors")
def test_an_allowed_origin_passes_the_preflight(anon_client):
    response = anon_client.options(
        ACCOUNTS_URL,
        HTTP_ORIGIN="https://app.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in response["Access-Control-Allow-Headers"]


@pytest.mark.usefixtures("cors")
def test_another_origin_gets_no_cors_headers(api_client):
    response = api_client.get(ACCOUNTS_URL, HTTP_ORIGIN="https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.usefixtures("cors")
def test_cors_applies_to_the_api_only(client):
    response = client.get("/admin/login/", HTTP_ORIGIN="https://app.example.com")

    assert "Access-Control-Allow-Origin" not in response


def test_no_origin_is_allowed_by_default(api_client, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = api_client.get(ACCOUNTS_URL, HTTP_ORIGIN="https://app.example.com")

    assert "Access-Control-Allow-Origin" not in response


# --- Request body limit --------------------------------------------------------------


def account_payload(**extra):
    return {
        "name": "Everyday",
        "bank_name": "Example Bank",
        "account_type": "checking",
        "currency": "EUR",
        "opening_balance": "10.00",
        "opening_date": "2025-01-01",
        **extra,
    }


@pytest.mark.usefixtures("cors")
def test_a_10_mb_json_body_is_refused_with_413_and_nothing_is_written(api_client):
    body = json.dumps(account_payload(name="x" * TEN_MB))

    response = api_client.post(
        ACCOUNTS_URL,
        body,
        content_type="application/json",
        HTTP_ORIGIN="https://app.example.com",
    )

    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    # A browser client can read the answer, and it can be traced.
    assert response["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert response["X-Request-ID"]
    assert not BankAccount.objects.exists()


def test_a_body_under_the_limit_is_served(api_client):
    response = api_client.post(ACCOUNTS_URL, account_payload(), format="json")

    assert response.status_code == 201, response.json()
    assert BankAccount.objects.count() == 1


def test_an_understated_content_length_never_reads_past_it(api_client):
    # Under WSGI the body stream ends at Content-Length: the rest is never read.
    body = json.dumps(account_payload(name="x" * TEN_MB))

    response = api_client.post(
        ACCOUNTS_URL, body, content_type="application/json", CONTENT_LENGTH="100"
    )

    assert response.status_code == 400
    assert not BankAccount.objects.exists()


def test_a_content_length_that_is_not_a_number_is_a_400(api_client):
    response = api_client.post(
        ACCOUNTS_URL, "{}", content_type="application/json", CONTENT_LENGTH="lots"
    )

    assert response.status_code == 400
    assert not BankAccount.objects.exists()


def test_a_10_mb_form_body_is_refused_with_413(api_client):
    response = api_client.post(
        ACCOUNTS_URL,
        f"name={'x' * TEN_MB}",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 413
    assert not BankAccount.objects.exists()


def test_a_multipart_field_over_the_limit_is_a_413_json_answer_not_a_500(api_client):
    # Multipart is parsed by Django's parser, which raises RequestDataTooBig on its own.
    response = api_client.post(
        ACCOUNTS_URL, account_payload(name="x" * (2 * 1024 * 1024)), format="multipart"
    )

    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert not BankAccount.objects.exists()


def asgi_post(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    """POSTs ``chunks`` through Django's ASGI handler as a chunked body (no Content-Length)."""

    async def call():
        messages = [{"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks]
        messages.append({"type": "http.request", "body": b"", "more_body": False})
        never = asyncio.get_running_loop().create_future()
        sent = []

        async def receive():
            if messages:
                return messages.pop(0)
            return await never  # the client stays connected

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"host", b"testserver"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        await ASGIHandler()(scope, receive, send)
        return sent

    # As Django's test client does: the test's database transaction must stay open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        sent = async_to_sync(call)()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if "body" in message)
    return start["status"], dict(start["headers"]), body


def test_a_chunked_json_body_over_the_limit_is_refused_under_asgi():
    chunk = b"x" * (1024 * 1024)
    status, headers, body = asgi_post(
        ACCOUNTS_URL,
        [b'{"name": "', *[chunk] * 3, b'"}'],
        [(b"content-type", b"application/json")],
    )

    assert status == 413
    assert b"too large" in body
    assert headers[b"X-Request-ID"]


# --- Errors from services ------------------------------------------------------------


def test_a_service_validation_error_becomes_a_field_level_400():
    error = DjangoValidationError(
        {"amount": ["Too much."], NON_FIELD_ERRORS: ["Account is archived."]}
    )

    response = api_exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"amount": ["Too much."], "detail": "Account is archived."}


def test_a_service_validation_error_without_a_field_comes_under_detail():
    response = api_exception_handler(DjangoValidationError("Not allowed."), {})

    assert response.status_code == 400
    assert response.data == {"detail": "Not allowed."}


def test_a_service_error_under_detail_is_one_string_like_drfs_own():
    error = DjangoValidationError(
        {"detail": "Already paid.", NON_FIELD_ERRORS: ["Try another bill."]}
    )

    response = api_exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"detail": "Already paid. Try another bill."}

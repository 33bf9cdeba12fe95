"""Production logs: one JSON object per line, secrets and account numbers redacted."""

import io
import json
import logging
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.urls import path
from django.utils.module_loading import import_string
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.tests.factories import TEST_PASSWORD
from smartbank.logging import REDACTED, redact_text

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ1c2VyX2lkIjoxLCJleHAiOjE3MDAwMDAwMDB9."
    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)
IBAN = "DE89370400440532013000"
SPACED_IBAN = "GB82 WEST 1234 5698 7654 32"
CARD = "4111 1111 1111 1111"


class CapturedLogs:
    def __init__(self, log_format: str):
        self.log_format = log_format
        self.stream = io.StringIO()

    def text(self) -> str:
        """Everything written, to search for leaks."""
        return self.stream.getvalue()

    def lines(self) -> list:
        """The lines written, parsed when the format is JSON."""
        raw = [line for line in self.text().splitlines() if line]
        return [json.loads(line) for line in raw] if self.log_format == "json" else raw


@contextmanager
def captured_logs(log_format: str = "json"):
    """Everything logged while inside, formatted by a handler built as settings.LOGGING's."""
    config = settings.LOGGING
    logs = CapturedLogs(log_format)
    handler = logging.StreamHandler(logs.stream)
    formatter = config["formatters"][log_format]
    if "()" in formatter:
        handler.setFormatter(import_string(formatter["()"])())
    else:
        handler.setFormatter(logging.Formatter(formatter["format"]))
    for name in config["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield logs
    finally:
        root.removeHandler(handler)


# --- The redaction rules -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"token {JWT} refused", JWT),
        ("Authorization: Bearer abc.def-123_xyz", "abc.def-123_xyz"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
        ('{"email": "a@example.com", "password": "my very secret"}', "my very secret"),
        ("{'password': 'hunter2 and more', 'email': 'a@b.c'}", "hunter2 and more"),
        ("new_password=s3cr3t&next=/", "s3cr3t"),
        ('"refresh": "opaque-refresh-value"', "opaque-refresh-value"),
        ("access_token: abcdef", "abcdef"),
        ("api_key=k-123", "k-123"),
        (f"account {IBAN} opened", IBAN),
        (f"iban {SPACED_IBAN}!", "1234 5698 7654 32"),
        (f"card {CARD} declined", CARD),
        ("card 4111-1111-1111-1111 declined", "4111-1111-1111-1111"),
        ("account number 12345678901 closed", "12345678901"),
        ('{"account_number": "00123"}', "00123"),
        ("redis://:cache-pass@cache.internal:6379/0 down", "cache-pass"),
        ("postgres://bank:db-pass@db.internal/smartbank refused", "db-pass"),
    ],
)
def test_secrets_are_redacted_from_text(text, secret):
    redacted = redact_text(text)

    assert secret not in redacted
    assert REDACTED in redacted
    # Each handler's filter redacts again; a second pass must change nothing.
    assert redact_text(redacted) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/v1/accounts/12/ 200",
        "booked on 2024-01-15 10:30:00 for 1234567.89 EUR",
        "masked •••• 4444",
        "Token is invalid or expired",
        "period 2024-01-01 to 2024-01-31",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact_text(text) == text


# --- The configured handler ----------------------------------------------------------


def test_a_record_becomes_one_json_line_with_its_extra_fields():
    with captured_logs() as logs:
        logging.getLogger("smartbank.tests").info(
            "imported %d rows", 3, extra={"batch_id": 7, "source": "ofx"}
        )

    [line] = logs.lines()
    assert line["level"] == "INFO"
    assert line["logger"] == "smartbank.tests"
    assert line["message"] == "imported 3 rows"
    assert (line["batch_id"], line["source"]) == (7, "ofx")
    assert line["request_id"] == "-"
    assert line["time"].endswith("+00:00")


def test_secrets_in_the_message_arguments_and_extra_fields_are_redacted():
    with captured_logs() as logs:
        logging.getLogger("smartbank.tests").warning(
            "login for %s with %s, header %s",
            "a@example.com",
            {"password": TEST_PASSWORD},
            f"Bearer {JWT}",
            extra={
                "password": TEST_PASSWORD,
                "headers": {"Authorization": f"Bearer {JWT}", "Accept": "application/json"},
                "accounts": [{"account_number": "12345678", "name": "Everyday"}],
                "note": f"pay {IBAN}",
                "account_number": 12345678,
                "rows": 2,
            },
        )

    output = logs.text()
    for secret in (TEST_PASSWORD, JWT, IBAN, "12345678"):
        assert secret not in output
    [line] = logs.lines()
    assert line["message"].startswith("login for a@example.com with ")
    assert line["password"] == REDACTED
    assert line["headers"] == {"Authorization": REDACTED, "Accept": "application/json"}
    assert line["accounts"] == [{"account_number": REDACTED, "name": "Everyday"}]
    assert line["account_number"] == REDACTED
    assert line["rows"] == 2


def test_a_traceback_is_redacted_too():
    with captured_logs() as logs:
        try:
            raise ValueError(f"could not parse password={TEST_PASSWORD} for {IBAN}")
        except ValueError:
            logging.getLogger("smartbank.tests").exception("import failed")

    [line] = logs.lines()
    assert "ValueError" in line["exc_info"]
    assert TEST_PASSWORD not in logs.text()
    assert IBAN not in logs.text()


def test_objects_are_redacted_once_they_become_text(rf):
    # Django's request logger passes the request itself; its repr carries the query string.
    request = rf.get(f"/api/v1/accounts/?access={JWT}")
    with captured_logs() as logs:
        logging.getLogger("smartbank.tests").error("failed", extra={"request": request})

    assert JWT not in logs.text()
    assert logs.lines()[0]["request"].startswith("<WSGIRequest: GET")


def test_the_text_format_redacts_as_well():
    with captured_logs("text") as logs:
        logging.getLogger("smartbank.tests").warning("password=%s", TEST_PASSWORD)

    [line] = logs.lines()
    assert TEST_PASSWORD not in line
    assert line.endswith("[-] password=[REDACTED]")


# --- Through real requests -----------------------------------------------------------


class LoggingView(APIView):
    """Logs its whole body, as careless code might."""

    def post(self, request):
        logging.getLogger("smartbank.tests").warning("payload %s", request.data)
        return Response({"ok": True})


urlpatterns = [path("log-body/", LoggingView.as_view())]


def test_a_login_request_never_leaks_the_password(anon_client, user):
    with captured_logs() as logs:
        response = anon_client.post(
            "/api/v1/auth/login/", {"email": user.email, "password": TEST_PASSWORD}
        )

    assert response.status_code == 200
    output = logs.text()
    assert TEST_PASSWORD not in output
    assert response.json()["access"] not in output
    assert any(line["path"] == "/api/v1/auth/login/" for line in logs.lines())


@pytest.mark.urls(__name__)
def test_logs_written_inside_a_jwt_request_carry_its_id_and_user_and_no_secrets(api_client, user):
    with captured_logs() as logs:
        response = api_client.post(
            "/log-body/",
            {"password": TEST_PASSWORD, "account_number": "DE89370400440532013000"},
            HTTP_X_REQUEST_ID="req-42",
        )

    assert response.status_code == 200
    assert TEST_PASSWORD not in logs.text()
    assert IBAN not in logs.text()
    body_line, request_line = logs.lines()
    assert body_line["message"].startswith("payload ")
    assert (body_line["request_id"], body_line["user_id"]) == ("req-42", user.pk)
    assert (request_line["request_id"], request_line["user_id"]) == ("req-42", user.pk)

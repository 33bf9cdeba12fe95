"""/api/v1/exports/ for PDF statements: ask, follow, download; owner only; bad input."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from pypdf import PdfReader

from accounts.tests.factories import BankAccountFactory
from insights.models import Export
from insights.tests.factories import NOW, TODAY, ExportFactory, add_rows
from smartbank.testing import database_snapshot
from transactions.tests.factories import TransactionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

URL = "/api/v1/exports/"
PDF_URL = f"{URL}pdf/"
D = datetime.date


@pytest.fixture
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, name="Everyday")


def detail(pk, action: str = "") -> str:
    return f"{URL}{pk}/{action + '/' if action else ''}"


# --- Ask, follow, download ----------------------------------------------------------------


def test_a_statement_is_asked_for_made_in_the_background_and_downloaded(
    api_client, account, django_capture_on_commit_callbacks
):
    TransactionFactory(account=account, amount=Decimal("-12.50"), txn_date=D(2025, 3, 3))
    TransactionFactory(account=account, amount=Decimal("300.00"), txn_date=D(2025, 3, 20))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api_client.post(
            PDF_URL,
            {"account": account.pk, "date_from": "2025-03-01", "date_to": "2025-03-31"},
            format="json",
        )

    assert response.status_code == 202, response.json()
    export = Export.objects.get()
    assert len(callbacks) == 1  # the task, queued once the request's writes are committed
    assert response.json() == {
        "id": export.pk,
        "status": "pending",
        "account": account.pk,
        "account_name": "Everyday",
        "date_from": "2025-03-01",
        "date_to": "2025-03-31",
        "currency": "EUR",
        "opening_balance": None,
        "money_in": None,
        "money_out": None,
        "closing_balance": None,
        "transaction_count": 0,
        "filename": "statement-4444-2025-03-01-to-2025-03-31.pdf",
        "size": 0,
        "error": "",
        "created_at": "2025-04-10T12:00:00Z",
        "started_at": None,
        "finished_at": None,
        "links": {
            "self": f"http://testserver/api/v1/exports/{export.pk}/",
            "download": f"http://testserver/api/v1/exports/{export.pk}/download/",
        },
    }

    status = api_client.get(detail(export.pk)).json()
    assert status["status"] == "done"
    assert (status["opening_balance"], status["money_in"], status["money_out"]) == (
        "1000.00",
        "300.00",
        "12.50",
    )
    assert status["closing_balance"] == "1287.50"
    assert status["transaction_count"] == 2
    assert status["started_at"] == status["finished_at"] == "2025-04-10T12:00:00Z"

    download = api_client.get(detail(export.pk, "download"), HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == (
        'attachment; filename="statement-4444-2025-03-01-to-2025-03-31.pdf"'
    )
    assert len(download.content) == status["size"]
    text = PdfReader(io.BytesIO(download.content)).pages[0].extract_text()
    assert "Closing balance 1,287.50" in " ".join(text.split())


def test_a_statement_not_made_yet_is_a_409_saying_so(api_client, account):
    export = ExportFactory(account=account)

    response = api_client.get(detail(export.pk, "download"), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The statement is not ready yet (status: pending); try again shortly.",
        "code": "export_not_ready",
    }


def test_a_failed_statement_says_why_on_download(api_client, account):
    export = ExportFactory(
        account=account, status=Export.Status.FAILED, error="The period holds too much."
    )

    response = api_client.get(detail(export.pk, "download"))

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The statement could not be made: The period holds too much."
    )


def test_the_list_shows_only_your_statements_newest_first_in_fixed_queries(
    api_client, account, other_user, django_assert_num_queries, frozen_time
):
    ExportFactory(account=BankAccountFactory(user=other_user))
    mine = []
    for _ in range(2):
        mine.append(ExportFactory(account=account))
        frozen_time.shift(datetime.timedelta(minutes=1))

    def listed():
        # Authentication, the count, the page (accounts joined; PDFs not loaded).
        with django_assert_num_queries(3) as captured:
            response = api_client.get(URL)
        assert response.status_code == 200
        assert all('"pdf"' not in query["sql"] for query in captured.captured_queries)
        return response.json()

    page = listed()
    assert [row["id"] for row in page["results"]] == [mine[1].pk, mine[0].pk]
    for _ in range(6):
        mine.append(ExportFactory(account=BankAccountFactory(user=account.user)))
    assert listed()["count"] == 8


# --- Owner only -----------------------------------------------------------------------------


def test_another_customers_statement_is_404_everywhere(api_client, other_user):
    theirs = ExportFactory(
        account=BankAccountFactory(user=other_user), status=Export.Status.DONE, pdf=b"%PDF-"
    )
    before = database_snapshot()

    assert api_client.get(detail(theirs.pk)).status_code == 404
    assert api_client.get(detail(theirs.pk, "download")).status_code == 404
    assert api_client.get(URL).json()["count"] == 0
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", URL),
        ("post", PDF_URL),
        ("post", f"{URL}csv/"),
        ("get", detail(1)),
        ("get", detail(1, "download")),
    ],
)
def test_anonymous_calls_are_401(anon_client, method, path):
    ExportFactory(id=1)

    response = getattr(anon_client, method)(path)

    assert response.status_code == 401


# --- Bad input ------------------------------------------------------------------------------


def _body(bank_account, /, **overrides):
    body = {"account": bank_account.pk, "date_from": "2025-03-01", "date_to": "2025-03-31"}
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


BAD_BODIES = [
    ({"account": ...}, {"account": ["This field is required."]}),
    ({"date_from": ...}, {"date_from": ["This field is required."]}),
    ({"date_to": ...}, {"date_to": ["This field is required."]}),
    ({"account": "abc"}, {"account": ["An account id is a whole number, not str."]}),
    ({"account": 1.5}, {"account": ["An account id is a whole number, not float."]}),
    ({"account": True}, {"account": ["An account id is a whole number, not bool."]}),
    ({"account": 999999}, {"account": ["Account not found."]}),
    ({"date_from": "2025-02-30"}, "date_from"),
    ({"date_to": "31/03/2025"}, "date_to"),
    ({"date_to": ["2025-03-31"]}, "date_to"),
    (
        {"date_from": "2025-03-31", "date_to": "2025-03-01"},
        {"date_to": ["The period ends before it starts: date_to must be on or after date_from."]},
    ),
    (
        {"date_to": "2025-04-11"},
        {"date_to": ["The statement period cannot be in the future."]},
    ),
    (
        {"date_from": "1899-12-31"},
        {"date_from": ["Dates before 1900-01-01 are not accepted."]},
    ),
    (
        {"date_from": "2024-01-01", "date_to": "2025-01-01"},
        {"date_to": ["A statement covers at most 366 days; this period has 367."]},
    ),
]


@pytest.mark.parametrize(("overrides", "errors"), BAD_BODIES)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    api_client, account, overrides, errors, django_capture_on_commit_callbacks
):
    before = database_snapshot()

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(PDF_URL, _body(account, **overrides), format="json")

    assert response.status_code == 400
    if isinstance(errors, dict):
        assert response.json() == errors
    else:
        assert list(response.json()) == [errors]
    assert database_snapshot() == before
    assert callbacks == []


def test_another_customers_account_is_not_found(api_client, other_user):
    theirs = BankAccountFactory(user=other_user)
    before = database_snapshot()

    response = api_client.post(PDF_URL, _body(theirs), format="json")

    assert response.status_code == 400
    assert response.json() == {"account": ["Account not found."]}
    assert database_snapshot() == before


def test_a_period_with_too_many_transactions_is_refused(api_client, account, settings):
    settings.EXPORT_PDF_MAX_ROWS = 2
    add_rows(account, [(D(2025, 3, day), Decimal("-1.00")) for day in (1, 2, 3)])
    before = database_snapshot()

    response = api_client.post(PDF_URL, _body(account), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "date_to": [
            "This period holds 3 transactions; a statement takes at most 2. Ask for a shorter "
            "period."
        ]
    }
    assert database_snapshot() == before


def test_at_most_a_few_statements_wait_at_once(api_client, account):
    stuck = ExportFactory(account=account)  # a lost task: over an hour old, it no longer counts
    Export.objects.filter(pk=stuck.pk).update(
        created_at=NOW - datetime.timedelta(hours=1, seconds=1)
    )
    ExportFactory(account=account, status=Export.Status.RUNNING)
    ExportFactory(account=account, status=Export.Status.DONE)
    ExportFactory(account=account)
    ExportFactory(account=account)
    before = database_snapshot()

    response = api_client.post(PDF_URL, _body(account), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "You have 3 statements being made; wait for one to finish before asking for "
        "another."
    }
    assert database_snapshot() == before
    Export.objects.filter(pk=stuck.pk).delete()
    Export.objects.filter(status=Export.Status.RUNNING).update(status=Export.Status.FAILED)
    assert api_client.post(PDF_URL, _body(account), format="json").status_code == 202


def test_a_statement_may_start_before_the_account_opened(api_client, account):
    """The opening balance is the ledger's: the account's opening balance plus every row
    before the period, whenever the account opened."""
    response = api_client.post(
        PDF_URL, _body(account, date_from="2024-12-01", date_to=TODAY.isoformat()), format="json"
    )

    assert response.status_code == 202

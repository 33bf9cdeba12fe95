"""The reports page (Django test client): CSV export through the API's own filter, PDF
statements through the same service as the API, ownership, bad input, query counts."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from accounts.tests.factories import BankAccountFactory
from insights.models import Export
from smartbank.testing import database_snapshot
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

URL = "/reports/"
CSV_URL = "/reports/csv/"
STATEMENT_URL = "/reports/statements/"
NOW = datetime.datetime(2025, 6, 20, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(client, user):
    client.force_login(user)
    return BankAccountFactory(user=user, name="Everyday", opening_date=datetime.date(2025, 1, 1))


def _csv(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_anonymous_is_sent_to_log_in(client):
    for url in (URL, CSV_URL, STATEMENT_URL):
        response = client.get(url) if url == URL else client.post(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_without_accounts_the_page_says_to_add_one(client, user):
    client.force_login(user)
    html = client.get(URL).content.decode()
    assert "Nothing to report yet" in html
    assert "Download CSV" not in html


def test_the_page_shows_both_forms_and_last_month_as_the_statement_period(client, account):
    html = client.get(URL).content.decode()
    assert "Download CSV" in html and "Make the statement" in html
    assert 'value="2025-05-01"' in html and 'value="2025-05-31"' in html
    assert "No statements yet" in html


def test_csv_export_streams_the_filtered_transactions(client, account):
    TransactionFactory(account=account, amount="-12.50", txn_date=datetime.date(2025, 3, 3))
    TransactionFactory(
        account=account,
        amount="-40.00",
        txn_date=datetime.date(2025, 4, 4),
        description="Dinner out",
        category=default_category("dining"),
    )
    response = client.post(CSV_URL, {"csv-category": "dining", "csv-date_from": "2025-04-01"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="transactions-')
    lines = _csv(response).strip().splitlines()
    assert lines[0].startswith("Date,Posted date,Account,Description")
    assert len(lines) == 2 and "Dinner out" in lines[1] and "-40.00" in lines[1]


def test_csv_export_refuses_bad_filters_beside_their_field(client, account, other_user):
    theirs = BankAccountFactory(user=other_user)
    CategoryFactory(user=other_user, slug="their-own")
    response = client.post(
        CSV_URL,
        {
            "csv-account": str(theirs.pk),
            "csv-date_from": "2025-13-01",
            "csv-category": "their-own",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_csv-account_error"' in html
    assert 'id="id_csv-date_from_error">Enter a valid date.' in html
    assert 'id="id_csv-category_error"' in html
    assert theirs.name not in html


def test_a_statement_request_is_made_and_listed_with_its_download(
    client, account, django_capture_on_commit_callbacks
):
    TransactionFactory(account=account, amount="-12.50", txn_date=datetime.date(2025, 5, 3))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            STATEMENT_URL,
            {
                "statement-account": account.pk,
                "statement-date_from": "2025-05-01",
                "statement-date_to": "2025-05-31",
            },
        )
    assert response.status_code == 302 and response.url == URL
    export = Export.objects.get(user=account.user)
    # Tests run Celery eagerly: the statement is made by the time the page is shown.
    assert export.status == Export.Status.DONE
    html = client.get(URL).content.decode()
    assert "is being made; it will appear below." in html
    assert f'href="/api/v1/exports/{export.pk}/download/"' in html
    download = client.get(f"/api/v1/exports/{export.pk}/download/")
    assert download.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"statement-date_from": "2025-05-31", "statement-date_to": "2025-05-01"},
            "date_to",
            "The period ends before it starts",
        ),
        ({"statement-date_from": "2025-06-01", "statement-date_to": "2025-06-30"}, "date_to", ""),
        (
            {"statement-date_from": "2024-01-01", "statement-date_to": "2025-05-31"},
            "date_to",
            "A statement covers at most",
        ),
        (
            {"statement-date_from": "nonsense", "statement-date_to": "2025-05-31"},
            "date_from",
            "Enter a valid date.",
        ),
    ],
)
def test_bad_statement_requests_are_refused_beside_the_field(client, account, data, field, message):
    before = database_snapshot()
    response = client.post(STATEMENT_URL, {"statement-account": account.pk, **data})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_statement-{field}_error">{message}' in html
    assert database_snapshot() == before


def test_another_customers_account_is_not_found_and_nothing_is_made(client, account, other_user):
    theirs = BankAccountFactory(user=other_user)
    before = database_snapshot()
    response = client.post(
        STATEMENT_URL,
        {
            "statement-account": theirs.pk,
            "statement-date_from": "2025-05-01",
            "statement-date_to": "2025-05-31",
        },
    )
    assert response.status_code == 400
    assert 'id="id_statement-account_error">Account not found.' in response.content.decode()
    assert database_snapshot() == before


def test_another_customers_statements_are_not_listed(client, account, other_user):
    theirs = BankAccountFactory(user=other_user, name="Their secret account")
    Export.objects.create(
        user=other_user,
        account=theirs,
        date_from=datetime.date(2025, 5, 1),
        date_to=datetime.date(2025, 5, 31),
        currency="EUR",
    )
    html = client.get(URL).content.decode()
    assert "Their secret account" not in html
    assert "No statements yet" in html


@pytest.mark.parametrize("statements", [1, 8])
def test_query_count_does_not_grow_with_the_statements(
    client, account, statements, django_assert_num_queries
):
    for index in range(statements):
        Export.objects.create(
            user=account.user,
            account=account,
            date_from=datetime.date(2025, 1, 1) + datetime.timedelta(days=index),
            date_to=datetime.date(2025, 5, 31),
            currency="EUR",
            status=Export.Status.PENDING if index % 2 else Export.Status.DONE,
        )
    # Session, user, accounts, categories, statements.
    with django_assert_num_queries(5):
        response = client.get(URL)
    assert response.status_code == 200
    assert response.content.decode().count('data-follow="/api/v1/exports/') == statements // 2

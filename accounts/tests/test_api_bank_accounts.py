"""/api/v1/accounts/: list, create, retrieve, update, delete."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory
from conftest import client_for
from smartbank.testing import database_snapshot
from transactions.models import Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/accounts/"
IBAN = "DE89 3704 0044 0532 0130 00"


def detail(pk: int) -> str:
    return f"{URL}{pk}/"


def payload(**overrides):
    data = {
        "name": "Everyday",
        "bank_name": "Example Bank",
        "account_type": "checking",
        "account_number": "12345678",
        "currency": "EUR",
        "opening_balance": "1000.00",
        "opening_date": "2025-01-01",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not ...}


# --- Create -----------------------------------------------------------------------------


def test_create_opens_an_account_with_its_opening_balance(api_client, user):
    response = api_client.post(URL, payload(credit_limit="250"), format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    account = BankAccount.objects.get(pk=body["id"])
    assert account.user == user
    assert body == {
        "id": account.pk,
        "name": "Everyday",
        "bank_name": "Example Bank",
        "account_type": "checking",
        "masked_account": "•••• 5678",
        "currency": "EUR",
        "opening_balance": "1000.00",
        "opening_date": "2025-01-01",
        "balance": "1000.00",
        "credit_limit": "250.00",
        "is_archived": False,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert account.balance == Decimal("1000.00")
    assert account.number_last4 == "5678"
    assert ledger_differences() == []
    # A customer opening their own account is not a staff change: nothing is audited.
    assert not AuditLog.objects.exists()


def test_minimal_create_takes_defaults(api_client):
    response = api_client.post(
        URL, {"name": "Wallet", "currency": "GBP", "opening_date": "2025-02-01"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["account_type"] == "checking"
    assert body["opening_balance"] == body["balance"] == "0.00"
    assert body["masked_account"] == ""
    assert body["credit_limit"] is None


def test_full_account_number_is_never_stored(api_client):
    response = api_client.post(URL, payload(account_number=IBAN), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["masked_account"] == "•••• 3000"
    assert "account_number" not in response.json()
    account = BankAccount.objects.get(pk=response.json()["id"])
    assert account.number_last4 == "3000"
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(BankAccount._meta.db_table)
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [account.pk])  # noqa: S608
        row = " ".join(str(value) for value in cursor.fetchone())
    digits = IBAN.replace(" ", "")
    for fragment in (IBAN, digits, digits[:-4], "DE89", "37040044"):
        assert fragment not in row


def test_lower_case_currency_is_stored_upper_case(api_client):
    response = api_client.post(URL, payload(currency="usd"), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["currency"] == "USD"
    assert BankAccount.objects.get().currency == "USD"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [("12.5", "12.50"), (12, "12.00"), ("0", "0.00"), ("999999999999.99", "999999999999.99")],
)
def test_money_is_a_string_with_two_decimals(api_client, sent, shown):
    response = api_client.post(URL, payload(opening_balance=sent), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["opening_balance"] == shown
    assert response.json()["balance"] == shown


def test_balance_sent_on_create_is_ignored(api_client):
    response = api_client.post(URL, payload(balance="999999.00", id=424242), format="json")

    assert response.status_code == 201, response.json()
    account = BankAccount.objects.get()
    assert account.balance == Decimal("1000.00")
    assert account.pk != 424242


def test_an_account_opens_active_whatever_is_sent(api_client):
    response = api_client.post(URL, payload(is_archived=True), format="json")

    assert response.status_code == 201, response.json()
    assert BankAccount.objects.get().is_archived is False


@pytest.mark.parametrize(
    ("overrides", "shown"),
    [
        ({"account_type": "loan", "opening_balance": "-5000.00"}, "-5000.00"),
        ({"account_type": "investment", "opening_balance": "-10.00"}, "-10.00"),
        (
            {"account_type": "credit_card", "opening_balance": "-300.00", "credit_limit": "500"},
            "-300.00",
        ),
        (
            {"account_type": "checking", "opening_balance": "-100.00", "credit_limit": "100"},
            "-100.00",
        ),
    ],
    ids=["loan", "investment", "credit-card-within-limit", "checking-overdraft-within-limit"],
)
def test_negative_opening_balance_where_allowed(api_client, overrides, shown):
    response = api_client.post(URL, payload(**overrides), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["balance"] == shown
    assert ledger_differences() == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"account_type": "checking", "opening_balance": "-0.01"},
        {"account_type": "savings", "opening_balance": "-50.00"},
        {"account_type": "cash", "opening_balance": "-1"},
        {"account_type": "credit_card", "opening_balance": "-10.00"},
        {"account_type": "checking", "opening_balance": "-100.01", "credit_limit": "100"},
        {"account_type": "credit_card", "opening_balance": "-600.00", "credit_limit": "500"},
    ],
    ids=[
        "checking",
        "savings",
        "cash",
        "card-without-limit",
        "checking-past-limit",
        "card-past-limit",
    ],
)
def test_negative_opening_balance_where_not_allowed_is_400(api_client, overrides):
    before = database_snapshot()

    response = api_client.post(URL, payload(**overrides), format="json")

    assert response.status_code == 400
    assert "opening_balance" in response.json()
    assert database_snapshot() == before


BAD_CREATE_INPUTS = [
    # Missing required fields.
    ({"name": ...}, "name"),
    ({"currency": ...}, "currency"),
    ({"opening_date": ...}, "opening_date"),
    # Currency.
    ({"currency": "XYZ"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": "E1R"}, "currency"),
    ({"currency": ""}, "currency"),
    ({"currency": 978}, "currency"),
    ({"currency": None}, "currency"),
    # Malformed amounts.
    ({"opening_balance": "12.345"}, "opening_balance"),
    ({"opening_balance": "abc"}, "opening_balance"),
    ({"opening_balance": 1e20}, "opening_balance"),
    ({"opening_balance": "1e20"}, "opening_balance"),
    ({"opening_balance": "NaN"}, "opening_balance"),
    ({"opening_balance": "Infinity"}, "opening_balance"),
    ({"opening_balance": "-Infinity"}, "opening_balance"),
    ({"opening_balance": "1000000000000.00"}, "opening_balance"),
    ({"opening_balance": "-1000000000000.00"}, "opening_balance"),
    ({"opening_balance": True}, "opening_balance"),
    ({"opening_balance": ["1.00"]}, "opening_balance"),
    ({"opening_balance": None}, "opening_balance"),
    ({"credit_limit": "-1.00"}, "credit_limit"),
    ({"credit_limit": "1000000000000"}, "credit_limit"),
    ({"credit_limit": "0.001"}, "credit_limit"),
    # Account numbers.
    ({"account_number": "12"}, "account_number"),
    ({"account_number": "!!!!"}, "account_number"),
    ({"account_number": "1234 56!"}, "account_number"),
    ({"account_number": "1" * 35}, "account_number"),
    ({"account_number": ["1234"]}, "account_number"),
    # Dates.
    ({"opening_date": "0000-01-01"}, "opening_date"),
    ({"opening_date": "99999-01-01"}, "opening_date"),
    ({"opening_date": "2025-02-30"}, "opening_date"),
    ({"opening_date": "01/02/2025"}, "opening_date"),
    ({"opening_date": "2025-01-01T00:00:00Z"}, "opening_date"),
    ({"opening_date": "1899-12-31"}, "opening_date"),
    ({"opening_date": "9999-12-31"}, "opening_date"),
    ({"opening_date": 20250101}, "opening_date"),
    # Wrong types and sizes.
    ({"name": ["Everyday"]}, "name"),
    ({"name": {"first": "Everyday"}}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"bank_name": "x" * 101}, "bank_name"),
    ({"account_type": "gold"}, "account_type"),
    ({"account_type": ["checking"]}, "account_type"),
]


@pytest.mark.parametrize(
    ("overrides", "field"),
    BAD_CREATE_INPUTS,
    ids=[
        f"{field}={value!r}"[:60]
        for overrides, field in BAD_CREATE_INPUTS
        for value in [overrides.get(field)]
    ],
)
def test_bad_input_on_create_is_400_and_writes_nothing(api_client, overrides, field):
    before = database_snapshot()

    response = api_client.post(URL, payload(**overrides), format="json")

    assert response.status_code == 400, response.json()
    errors = response.json()
    assert field in errors, errors
    assert all(isinstance(message, str) and message for message in errors[field])
    assert database_snapshot() == before


def test_opening_date_after_the_users_today_is_400(api_client, user):
    tomorrow = user.today() + datetime.timedelta(days=1)
    before = database_snapshot()

    response = api_client.post(URL, payload(opening_date=tomorrow.isoformat()), format="json")

    assert response.status_code == 400
    assert response.json() == {"opening_date": ["The opening date cannot be in the future."]}
    assert database_snapshot() == before


def test_opening_date_today_is_accepted(api_client, user):
    response = api_client.post(URL, payload(opening_date=user.today().isoformat()), format="json")

    assert response.status_code == 201, response.json()


def test_non_object_body_is_400(api_client):
    before = database_snapshot()

    response = api_client.post(URL, ["name", "Everyday"], format="json")

    assert response.status_code == 400
    assert database_snapshot() == before


def test_several_bad_fields_are_reported_together(api_client):
    response = api_client.post(
        URL,
        payload(name=..., currency="XYZ", opening_balance="abc", account_number="12"),
        format="json",
    )

    assert response.status_code == 400
    assert {"name", "currency", "opening_balance", "account_number"} <= set(response.json())
    assert not BankAccount.objects.exists()


# --- List -------------------------------------------------------------------------------


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["name"] for row in response.json()["results"]]


def test_list_shows_own_active_accounts_only(api_client, user, other_user):
    BankAccountFactory(user=user, name="B savings", account_type="savings")
    BankAccountFactory(user=user, name="A current")
    BankAccountFactory(user=user, name="C closed", is_archived=True)
    BankAccountFactory(user=other_user, name="Not mine")

    response = api_client.get(URL)

    assert names(response) == ["A current", "B savings"]
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2
    assert "account_number" not in body["results"][0]
    assert body["results"][0]["balance"] == "1000.00"


@pytest.mark.parametrize(
    ("archived", "expected"),
    [
        ("false", ["Open"]),
        ("true", ["Closed"]),
        ("all", ["Closed", "Open"]),
    ],
)
def test_list_archived_filter(api_client, user, archived, expected):
    BankAccountFactory(user=user, name="Open")
    BankAccountFactory(user=user, name="Closed", is_archived=True)

    assert names(api_client.get(URL, {"archived": archived})) == expected


def test_list_unknown_archived_value_is_400(api_client):
    response = api_client.get(URL, {"archived": "maybe"})

    assert response.status_code == 400
    assert "archived" in response.json()


def test_list_filters_by_type_and_currency(api_client, user):
    BankAccountFactory(user=user, name="Euro current", currency="EUR")
    BankAccountFactory(user=user, name="Dollar current", currency="USD")
    BankAccountFactory(user=user, name="Euro card", account_type="credit_card", currency="EUR")
    BankAccountFactory(user=user, name="Loan", account_type="loan", opening_balance=Decimal("-10"))

    assert names(api_client.get(URL, {"account_type": "checking"})) == [
        "Dollar current",
        "Euro current",
    ]
    assert names(api_client.get(f"{URL}?account_type=credit_card&account_type=loan")) == [
        "Euro card",
        "Loan",
    ]
    assert names(api_client.get(URL, {"currency": "usd"})) == ["Dollar current"]
    assert names(api_client.get(URL, {"currency": "EUR", "account_type": "credit_card"})) == [
        "Euro card"
    ]
    assert api_client.get(URL, {"account_type": "gold"}).status_code == 400


def test_list_ordering(api_client, user):
    BankAccountFactory(user=user, name="Middle", opening_balance=Decimal("50.00"))
    BankAccountFactory(user=user, name="Rich", opening_balance=Decimal("900.00"))
    BankAccountFactory(user=user, name="Poor", opening_balance=Decimal("1.00"))

    assert names(api_client.get(URL)) == ["Middle", "Poor", "Rich"]
    assert names(api_client.get(URL, {"ordering": "-balance"})) == ["Rich", "Middle", "Poor"]
    assert names(api_client.get(URL, {"ordering": "balance"})) == ["Poor", "Middle", "Rich"]
    assert names(api_client.get(URL, {"ordering": "-name"})) == ["Rich", "Poor", "Middle"]
    assert names(api_client.get(URL, {"ordering": "created_at"})) == ["Middle", "Rich", "Poor"]


def test_list_query_count_does_not_grow_with_accounts(api_client, user, django_assert_num_queries):
    BankAccountFactory(user=user)
    # The user behind the token, the count, the page.
    with django_assert_num_queries(3):
        assert len(api_client.get(URL).json()["results"]) == 1

    BankAccountFactory.create_batch(12, user=user)
    with django_assert_num_queries(3):
        assert len(api_client.get(URL).json()["results"]) == 13


# --- Retrieve ---------------------------------------------------------------------------


def test_retrieve_own_account_even_when_archived(api_client, user):
    account = BankAccountFactory(user=user, is_archived=True, number_last4="9876")

    response = api_client.get(detail(account.pk))

    assert response.status_code == 200
    assert response.json()["id"] == account.pk
    assert response.json()["masked_account"] == "•••• 9876"
    assert response.json()["is_archived"] is True


# --- Update -----------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(api_client, user):
    account = BankAccountFactory(user=user, name="Old", bank_name="Bank A")

    response = api_client.patch(detail(account.pk), {"name": "New"}, format="json")

    assert response.status_code == 200, response.json()
    account.refresh_from_db()
    assert account.name == "New"
    assert account.bank_name == "Bank A"
    assert response.json()["name"] == "New"


def test_put_replaces_the_account(api_client, user):
    account = BankAccountFactory(user=user, number_last4="1111")

    response = api_client.put(
        detail(account.pk),
        payload(
            name="Renamed",
            bank_name="Other Bank",
            account_type="savings",
            account_number="GB29 NWBK 6016 1331 9268 19",
            currency="gbp",
            opening_balance="250.00",
            opening_date="2024-06-30",
            credit_limit=None,
        ),
        format="json",
    )

    assert response.status_code == 200, response.json()
    account.refresh_from_db()
    assert (account.name, account.bank_name, account.account_type) == (
        "Renamed",
        "Other Bank",
        "savings",
    )
    assert account.number_last4 == "6819"
    assert account.currency == "GBP"
    assert account.opening_balance == account.balance == Decimal("250.00")
    assert account.opening_date == datetime.date(2024, 6, 30)
    assert ledger_differences() == []


def test_put_without_required_fields_is_400_and_unchanged(api_client, user):
    account = BankAccountFactory(user=user)
    before = database_snapshot()

    response = api_client.put(detail(account.pk), {"name": "Only a name"}, format="json")

    assert response.status_code == 400
    assert {"currency", "opening_date"} <= set(response.json())
    assert database_snapshot() == before


def test_opening_balance_change_moves_the_balance_by_the_difference(api_client, user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("1000.00"))
    TransactionFactory(account=account, amount=Decimal("-200.00"))
    TransactionFactory(account=account, amount=Decimal("50.00"))

    response = api_client.patch(detail(account.pk), {"opening_balance": "1500.00"}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["balance"] == "1350.00"
    account.refresh_from_db()
    assert account.balance == Decimal("1350.00")
    assert ledger_differences() == []


def test_balance_is_never_writable(api_client, user):
    account = BankAccountFactory(user=user)

    response = api_client.patch(
        detail(account.pk), {"balance": "1.00", "name": "Still here"}, format="json"
    )

    assert response.status_code == 200
    account.refresh_from_db()
    assert account.balance == Decimal("1000.00")
    assert account.name == "Still here"


def test_currency_of_an_account_with_transactions_cannot_change(api_client, user):
    account = BankAccountFactory(user=user, currency="EUR")
    TransactionFactory(account=account)
    before = database_snapshot()

    response = api_client.patch(detail(account.pk), {"currency": "USD"}, format="json")

    assert response.status_code == 400
    assert "currency" in response.json()
    assert database_snapshot() == before


def test_currency_of_an_account_without_transactions_can_change(api_client, user):
    account = BankAccountFactory(user=user, currency="EUR")

    response = api_client.patch(detail(account.pk), {"currency": "chf"}, format="json")

    assert response.status_code == 200, response.json()
    account.refresh_from_db()
    assert account.currency == "CHF"


def test_account_number_can_be_replaced_and_cleared(api_client, user):
    account = BankAccountFactory(user=user, number_last4="4444")

    response = api_client.patch(detail(account.pk), {"account_number": IBAN}, format="json")
    assert response.json()["masked_account"] == "•••• 3000"

    response = api_client.patch(detail(account.pk), {"account_number": ""}, format="json")
    assert response.json()["masked_account"] == ""
    account.refresh_from_db()
    assert account.number_last4 == ""


def test_archive_and_unarchive_with_patch(api_client, user):
    account = BankAccountFactory(user=user)

    assert api_client.patch(detail(account.pk), {"is_archived": True}, format="json").json()[
        "is_archived"
    ]
    assert names(api_client.get(URL)) == []
    response = api_client.patch(detail(account.pk), {"is_archived": False}, format="json")
    assert response.status_code == 200
    assert names(api_client.get(URL)) == [account.name]


BAD_UPDATE_INPUTS = [
    ({"opening_balance": "12.345"}, "opening_balance"),
    ({"opening_balance": "NaN"}, "opening_balance"),
    ({"opening_balance": "-5.00"}, "opening_balance"),
    ({"credit_limit": "-1"}, "credit_limit"),
    ({"currency": "XYZ"}, "currency"),
    ({"account_number": "12"}, "account_number"),
    ({"opening_date": "0000-01-01"}, "opening_date"),
    ({"opening_date": "3000-01-01"}, "opening_date"),
    ({"name": ""}, "name"),
    ({"name": ["x"]}, "name"),
    ({"is_archived": "perhaps"}, "is_archived"),
    ({"account_type": "gold"}, "account_type"),
]


@pytest.mark.parametrize(("data", "field"), BAD_UPDATE_INPUTS)
def test_bad_input_on_update_is_400_and_unchanged(api_client, user, data, field):
    account = BankAccountFactory(user=user)
    TransactionFactory(account=account)
    before = database_snapshot()

    response = api_client.patch(detail(account.pk), data, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert database_snapshot() == before


def test_removing_the_credit_limit_that_covers_a_negative_opening_is_400(api_client, user):
    account = BankAccountFactory(
        user=user,
        account_type="credit_card",
        opening_balance=Decimal("-300.00"),
        credit_limit=Decimal("500.00"),
    )
    before = database_snapshot()

    response = api_client.patch(detail(account.pk), {"credit_limit": None}, format="json")

    assert response.status_code == 400
    assert "opening_balance" in response.json()
    assert database_snapshot() == before


# --- Delete -----------------------------------------------------------------------------


def test_delete_account_without_transactions(api_client, user):
    account = BankAccountFactory(user=user)

    response = api_client.delete(detail(account.pk))

    assert response.status_code == 204
    assert not BankAccount.objects.filter(pk=account.pk).exists()


def test_delete_account_with_transactions_archives_it_and_loses_nothing(api_client, user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("500.00"))
    other = BankAccountFactory(user=user)
    TransactionFactory(account=account, amount=Decimal("-20.00"))
    TransactionFactory(account=account, amount=Decimal("120.00"))
    TransactionFactory(account=other, amount=Decimal("-5.00"))
    transactions_before = list(
        Transaction.objects.filter(account=account).order_by("pk").values_list("pk", "amount")
    )

    response = api_client.delete(detail(account.pk))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["archived"] is True
    assert "has transactions, so it was archived instead of deleted" in body["detail"]
    assert body["account"]["id"] == account.pk
    assert body["account"]["is_archived"] is True
    assert body["account"]["balance"] == "600.00"
    account.refresh_from_db()
    assert account.is_archived
    assert account.balance == Decimal("600.00")
    assert (
        list(Transaction.objects.filter(account=account).order_by("pk").values_list("pk", "amount"))
        == transactions_before
    )
    assert ledger_differences() == []
    # Gone from the default list, still reachable.
    assert names(api_client.get(URL)) == [other.name]
    assert names(api_client.get(URL, {"archived": "true"})) == [account.name]

    # Deleting it again is still an archive, never a loss.
    again = api_client.delete(detail(account.pk))
    assert again.status_code == 200
    assert again.json()["archived"] is True
    assert Transaction.objects.filter(account=account).count() == 2


# --- Ownership, authentication ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "data"),
    [
        ("get", None),
        ("patch", {"name": "Hijacked"}),
        ("put", payload(name="Hijacked")),
        ("delete", None),
    ],
)
def test_another_customers_account_is_404_and_unchanged(other_client, user, method, data):
    account = BankAccountFactory(user=user)
    TransactionFactory(account=account)
    before = database_snapshot()

    response = getattr(other_client, method)(detail(account.pk), data, format="json")

    assert response.status_code == 404
    assert database_snapshot() == before


def test_another_customers_accounts_are_not_listed(other_client, user):
    BankAccountFactory(user=user)

    assert other_client.get(URL, {"archived": "all"}).json()["count"] == 0


def test_staff_reach_only_their_own_accounts_here(staff, user):
    account = BankAccountFactory(user=user)
    client = client_for(staff["admin"])

    assert client.get(URL).json()["count"] == 0
    assert client.get(detail(account.pk)).status_code == 404


@pytest.mark.parametrize(
    ("method", "on_object"),
    [
        ("get", False),
        ("post", False),
        ("get", True),
        ("put", True),
        ("patch", True),
        ("delete", True),
    ],
)
def test_anonymous_is_401(anon_client, user, method, on_object):
    account = BankAccountFactory(user=user)
    before = database_snapshot()

    url = detail(account.pk) if on_object else URL
    response = getattr(anon_client, method)(url, payload(), format="json")

    assert response.status_code == 401
    assert database_snapshot() == before


# --- Schema -----------------------------------------------------------------------------


def test_schema_documents_the_archive_instead_of_delete_answer(anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    delete = schema["paths"]["/api/v1/accounts/{id}/"]["delete"]
    assert set(delete["responses"]) >= {"200", "204", "401", "404"}
    archived = delete["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert archived.endswith("/BankAccountArchived")
    create = schema["components"]["schemas"]["BankAccountCreateRequest"]
    assert "balance" not in create["properties"]
    assert "account_number" in create["properties"]
    shown = schema["components"]["schemas"]["BankAccount"]["properties"]
    assert "account_number" not in shown
    assert shown["balance"]["readOnly"] is True
    parameters = {p["name"] for p in schema["paths"]["/api/v1/accounts/"]["get"]["parameters"]}
    assert {"archived", "account_type", "currency", "ordering"} <= parameters

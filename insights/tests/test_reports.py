"""/api/v1/reports/account-summary/{id}/ and .../transaction-trends/{id}/: who may see whom,
what staff access writes to the audit log, the figures (worked out by hand), bad input,
query counts."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory
from conftest import client_for
from smartbank.testing import database_snapshot
from transactions.services import transfer_create
from transactions.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date

SUMMARY = "/api/v1/reports/account-summary/{}/"
TRENDS = "/api/v1/reports/transaction-trends/{}/"
ENDPOINTS = [SUMMARY, TRENDS]
ACTIONS = {SUMMARY: "report.account_summary.view", TRENDS: "report.transaction_trends.view"}

# Noon in London on Wednesday 2025-03-05: the customers' today unless they live elsewhere.
NOW = datetime.datetime(2025, 3, 5, 12, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def rates():
    """1 EUR = 1.25 USD = 0.8 GBP now; 1 EUR = 1 USD in January."""
    ExchangeRateFactory(base="EUR", quote="USD", day=DAY(2025, 1, 20), rate=D("1.0"))
    ExchangeRateFactory(base="EUR", quote="USD", day=DAY(2025, 3, 3), rate=D("1.25"))
    ExchangeRateFactory(base="EUR", quote="GBP", day=DAY(2025, 3, 3), rate=D("0.8"))


def account(owner, **kwargs) -> BankAccount:
    kwargs.setdefault("opening_date", DAY(2024, 1, 1))
    return BankAccountFactory(user=owner, **kwargs)


@pytest.fixture
def history(user, rates):
    """The customer's accounts and rows; every figure below is worked out from these.

    Euro checking: 1000.00 + 200.00 - 25.00 - 99.00 - 100.00 (transfer out) = 976.00 EUR.
    Dollar savings: 500.00 + 125.00 (transfer in) - 50.00 - 20.00 = 555.00 USD = 444.00 EUR.
    Sterling card: owes 80.00 GBP = -100.00 EUR. Archived: 300.00 - 10.00, left out.
    """
    euros = account(user, name="A euro checking", currency="EUR", opening_balance=D("1000.00"))
    dollars = account(
        user,
        name="B dollar savings",
        currency="USD",
        account_type=BankAccount.Type.SAVINGS,
        opening_balance=D("500.00"),
    )
    account(
        user,
        name="C sterling card",
        currency="GBP",
        account_type=BankAccount.Type.CREDIT_CARD,
        credit_limit=D("500.00"),
        opening_balance=D("-80.00"),
    )
    archived = account(user, name="D old", currency="EUR", opening_balance=D("300.00"))
    TransactionFactory(account=archived, amount=D("-10.00"), txn_date=DAY(2025, 1, 15))
    BankAccount.objects.filter(pk=archived.pk).update(is_archived=True)
    TransactionFactory(account=euros, amount=D("200.00"), txn_date=DAY(2025, 2, 10))
    TransactionFactory(account=euros, amount=D("-25.00"), txn_date=DAY(2025, 3, 1))
    # Before the default twelve months (April 2024 to today).
    TransactionFactory(account=euros, amount=D("-99.00"), txn_date=DAY(2024, 3, 31))
    TransactionFactory(account=dollars, amount=D("-20.00"), txn_date=DAY(2025, 1, 20))
    TransactionFactory(account=dollars, amount=D("-50.00"), txn_date=DAY(2025, 3, 3))
    transfer_create(
        user=user,
        from_account=euros,
        to_account=dollars,
        amount=D("100.00"),
        amount_received=D("125.00"),
        txn_date=DAY(2025, 3, 2),
    )
    return {"euros": euros, "dollars": dollars}


def viewers(user, other_user, staff):
    return {
        "self": user,
        "other customer": other_user,
        "admin": staff["admin"],
        "auditor": staff["auditor"],
        "support": staff["support"],
    }


# --- Who may see whom -------------------------------------------------------------------

# (viewer, status, audit rows written)
MATRIX = [
    ("self", 200, 0),
    ("other customer", 404, 0),
    ("admin", 200, 1),
    ("auditor", 200, 1),
    ("support", 200, 1),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=["account-summary", "transaction-trends"])
@pytest.mark.parametrize(("viewer", "status", "audited"), MATRIX, ids=[m[0] for m in MATRIX])
def test_who_may_see_a_customers_report(
    user, other_user, staff, history, endpoint, viewer, status, audited
):
    client = client_for(viewers(user, other_user, staff)[viewer])
    before = database_snapshot()

    response = client.get(endpoint.format(user.pk))

    assert response.status_code == status, response.content
    if status == 404:
        assert response.json() == {"detail": "No such customer."}
        assert database_snapshot() == before
    else:
        assert response.json()["customer"] == user.pk
    assert AuditLog.objects.count() == audited


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=["account-summary", "transaction-trends"])
def test_anonymous_is_401_and_writes_nothing(anon_client, user, endpoint):
    before = database_snapshot()
    assert anon_client.get(endpoint.format(user.pk)).status_code == 401
    assert database_snapshot() == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=["account-summary", "transaction-trends"])
@pytest.mark.parametrize("viewer", ["self", "admin", "auditor", "support"])
@pytest.mark.parametrize(
    "customer_id",
    ["unknown", "staff", "abc", "1.5", "-1", "0", "9" * 30, "٣"],
)
def test_an_id_that_is_no_customer_is_a_clear_404(
    user, other_user, staff, endpoint, viewer, customer_id
):
    ids = {"unknown": str(other_user.pk + 1000), "staff": str(staff["support"].pk)}
    client = client_for(viewers(user, other_user, staff)[viewer])
    before = database_snapshot()

    response = client.get(endpoint.format(ids.get(customer_id, customer_id)))

    assert response.status_code == 404
    assert response.json() == {"detail": "No such customer."}
    assert database_snapshot() == before


def test_a_customer_may_not_even_see_a_staff_users_report(api_client, staff):
    response = api_client.get(SUMMARY.format(staff["admin"].pk))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such customer."}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=["account-summary", "transaction-trends"])
def test_staff_access_is_one_exact_audit_row(user, staff, history, endpoint):
    auditor = staff["auditor"]

    response = client_for(auditor).get(endpoint.format(user.pk))

    assert response.status_code == 200
    entry = AuditLog.objects.get()
    expected_changes = (
        {"as_of": [None, "2025-03-05"]}
        if endpoint == SUMMARY
        else {"date_from": [None, "2024-04-01"], "date_to": [None, "2025-03-05"]}
    )
    assert (
        entry.actor,
        entry.actor_email,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.changes,
        entry.ip_address,
        entry.created_at,
    ) == (
        auditor,
        auditor.email,
        ACTIONS[endpoint],
        "accounts.user",
        str(user.pk),
        expected_changes,
        "127.0.0.1",
        NOW,
    )


def test_each_staff_request_is_audited_once(user, staff, history):
    client = client_for(staff["support"])
    client.get(SUMMARY.format(user.pk))
    client.get(TRENDS.format(user.pk), {"date_from": "2025-01-01"})
    client.get(SUMMARY.format(user.pk))

    assert list(AuditLog.objects.order_by("id").values_list("action", flat=True)) == [
        "report.account_summary.view",
        "report.transaction_trends.view",
        "report.account_summary.view",
    ]


# --- Account summary --------------------------------------------------------------------


def test_account_summary_figures(api_client, user, history):
    response = api_client.get(SUMMARY.format(user.pk))

    assert response.status_code == 200
    body = response.json()
    accounts = body.pop("accounts")
    assert body == {
        "customer": user.pk,
        "currency": "EUR",
        "as_of": "2025-03-05",
        # 976.00 + 444.00 - 100.00; the archived account is left out.
        "total_balance": "1320.00",
        "account_count": 3,
        # Every row, the archived account's and both transfer legs included.
        "transaction_count": 8,
        "non_transfer_count": 6,
        "transactions_by_kind": {"income": 1, "expense": 5, "transfer": 2},
    }
    assert [
        (a["name"], a["account_type"], a["currency"], a["balance"], a["balance_in_base"])
        for a in accounts
    ] == [
        ("A euro checking", "checking", "EUR", "976.00", "976.00"),
        ("B dollar savings", "savings", "USD", "555.00", "444.00"),
        ("C sterling card", "credit_card", "GBP", "-80.00", "-100.00"),
    ]
    assert accounts[0]["id"] == history["euros"].pk


def test_account_summary_in_the_customers_base_currency_and_today(rates):
    # In Auckland it is already Thursday the 6th; balances convert at the rates of that day.
    customer = UserFactory(base_currency="GBP", time_zone="Pacific/Auckland")
    ExchangeRateFactory(base="EUR", quote="GBP", day=DAY(2025, 3, 6), rate=D("0.9"))
    account(customer, currency="EUR", opening_balance=D("100.00"))
    account(customer, currency="GBP", opening_balance=D("10.50"))

    body = client_for(customer).get(SUMMARY.format(customer.pk)).json()

    assert (body["currency"], body["as_of"], body["total_balance"]) == (
        "GBP",
        "2025-03-06",
        "100.50",
    )
    assert body["transaction_count"] == 0
    assert body["transactions_by_kind"] == {"income": 0, "expense": 0, "transfer": 0}


def test_a_customer_without_accounts_has_a_zero_summary(api_client, user):
    body = api_client.get(SUMMARY.format(user.pk)).json()
    assert (body["total_balance"], body["account_count"], body["accounts"]) == ("0.00", 0, [])


def test_a_missing_rate_is_a_409_and_nothing_is_audited(user, staff):
    account(user, currency="CHF", opening_balance=D("10.00"))
    client = client_for(staff["admin"])
    before = database_snapshot()

    response = client.get(SUMMARY.format(user.pk))

    assert response.status_code == 409
    assert response.json()["detail"] == "No exchange rate for CHF->EUR on or before 2025-03-05."
    assert database_snapshot() == before


def test_account_summary_queries_do_not_grow_with_the_history(
    user, staff, rates, django_assert_num_queries
):
    client = client_for(staff["support"])
    url = SUMMARY.format(user.pk)
    euros = account(user, currency="EUR", opening_balance=D("5000.00"))
    account(user, currency="USD", opening_balance=D("10.00"))
    TransactionFactory(account=euros, amount=D("-1.00"), txn_date=DAY(2025, 3, 1))

    # The caller (JWT), the customer, the accounts, two for the rates, the counts by kind,
    # the audit row.
    with django_assert_num_queries(7):
        first = client.get(url).json()
    for day in range(1, 28):
        TransactionFactory(account=euros, amount=D("-1.00"), txn_date=DAY(2025, 2, day))
    account(user, currency="GBP", opening_balance=D("8.00"))
    with django_assert_num_queries(7):
        second = client.get(url).json()
    assert (first["transaction_count"], second["transaction_count"]) == (1, 28)
    assert second["account_count"] == 3


def test_a_customers_own_summary_costs_fewer_queries(api_client, user, django_assert_num_queries):
    account(user, currency="EUR")
    # The caller (JWT), the accounts, the counts: no lookup of the customer, no audit row.
    with django_assert_num_queries(3):
        assert api_client.get(SUMMARY.format(user.pk)).status_code == 200


# --- Transaction trends -----------------------------------------------------------------


def month(start, money_in="0.00", money_out="0.00", net="0.00", count=0):
    first = DAY.fromisoformat(start + "-01")
    next_first = (first + datetime.timedelta(days=31)).replace(day=1)
    return {
        "month": start,
        "start": first.isoformat(),
        "end": (next_first - datetime.timedelta(days=1)).isoformat(),
        "money_in": money_in,
        "money_out": money_out,
        "net": net,
        "count": count,
    }


def test_trends_default_to_the_twelve_months_up_to_the_customers_today(api_client, user, history):
    response = api_client.get(TRENDS.format(user.pk))

    assert response.status_code == 200
    body = response.json()
    months = body.pop("months")
    assert body == {
        "customer": user.pk,
        "currency": "EUR",
        "date_from": "2024-04-01",
        "date_to": "2025-03-05",
        "money_in": "200.00",
        "money_out": "95.00",
        "net": "105.00",
        "count": 5,
    }
    quiet = ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09", "2024-10"]
    assert months == [
        *(month(m) for m in quiet),
        month("2024-11"),
        month("2024-12"),
        # 10.00 EUR (archived account) and 20.00 USD at 1 EUR = 1 USD.
        month("2025-01", money_out="30.00", net="-30.00", count=2),
        month("2025-02", money_in="200.00", net="200.00", count=1),
        # 25.00 EUR and 50.00 USD at 1.25; the transfer of the 2nd is not counted.
        month("2025-03", money_out="65.00", net="-65.00", count=2),
    ]


def test_trends_over_a_given_range_with_aliases(user, staff, history):
    client = client_for(staff["admin"])
    response = client.get(
        TRENDS.format(user.pk), {"start_date": "2025-01-16", "end_date": "2025-03-02"}
    )

    body = response.json()
    # The archived account's row of 15 January falls before the range.
    assert [(m["month"], m["money_out"], m["money_in"], m["count"]) for m in body["months"]] == [
        ("2025-01", "20.00", "0.00", 1),
        ("2025-02", "0.00", "200.00", 1),
        ("2025-03", "25.00", "0.00", 1),
    ]
    assert (body["date_from"], body["date_to"], body["net"]) == (
        "2025-01-16",
        "2025-03-02",
        "155.00",
    )
    assert AuditLog.objects.get().changes == {
        "date_from": [None, "2025-01-16"],
        "date_to": [None, "2025-03-02"],
    }


def test_trends_in_another_base_currency_and_from_the_customers_today(rates):
    # Honolulu is ten hours behind: its today is still Wednesday 5 March at 02:00 there, so
    # the default range ends on the 5th; the staff member asking lives elsewhere.
    customer = UserFactory(base_currency="GBP", time_zone="Pacific/Honolulu")
    euros = account(customer, currency="EUR", opening_balance=D("500.00"))
    TransactionFactory(account=euros, amount=D("-100.00"), txn_date=DAY(2025, 3, 3))
    TransactionFactory(account=euros, amount=D("12.50"), txn_date=DAY(2025, 3, 4))
    admin = UserFactory(staff_role="admin", time_zone="Pacific/Kiritimati")

    body = client_for(admin).get(TRENDS.format(customer.pk)).json()

    assert (body["currency"], body["date_to"], body["date_from"]) == (
        "GBP",
        "2025-03-05",
        "2024-04-01",
    )
    assert body["months"][-1] == month(
        "2025-03", money_in="10.00", money_out="80.00", net="-70.00", count=2
    )


BAD_RANGES = [
    ({"date_from": "yesterday"}, "date_from"),
    ({"date_to": "2025-02-30"}, "date_to"),
    ({"date_from": "2025-03-01", "date_to": "2025-02-01"}, "date_from"),
    ({"date_from": "1899-12-31"}, "date_from"),
    ({"date_to": "2027-01-01"}, "date_to"),
    ({"date_from": "2010-01-01", "date_to": "2025-01-01"}, "date_from"),
    ({"date_from": "2025-01-01", "start_date": "2025-02-01"}, "start_date"),
    ({"date_from": "2025-01-01" * 1000}, "date_from"),
]


@pytest.mark.parametrize("viewer", ["self", "auditor"])
@pytest.mark.parametrize(("query", "field"), BAD_RANGES, ids=[f for _, f in BAD_RANGES])
def test_a_bad_range_is_a_400_naming_it_and_writes_nothing(
    user, other_user, staff, viewer, query, field
):
    client = client_for(viewers(user, other_user, staff)[viewer])
    before = database_snapshot()

    response = client.get(TRENDS.format(user.pk), query)

    assert response.status_code == 400
    assert field in response.json()
    assert database_snapshot() == before


def test_another_customer_with_a_bad_range_still_gets_the_404(user, other_client):
    response = other_client.get(TRENDS.format(user.pk), {"date_from": "nonsense"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No such customer."}


def test_trends_ignore_account_and_category_filters_of_the_caller(user, staff, history):
    """A report covers all the customer's accounts: the insights' account filter is not taken
    (it would be read as one of the staff member's own accounts)."""
    client = client_for(staff["admin"])
    plain = client.get(TRENDS.format(user.pk)).json()
    filtered = client.get(
        TRENDS.format(user.pk), {"account": history["euros"].pk, "category": "nonsense"}
    ).json()
    assert filtered == plain


def test_trends_queries_do_not_grow_with_the_history(user, staff, rates, django_assert_num_queries):
    client = client_for(staff["auditor"])
    url = TRENDS.format(user.pk)
    euros = account(user, currency="EUR", opening_balance=D("5000.00"))
    dollars = account(user, currency="USD", opening_balance=D("5000.00"))
    TransactionFactory(account=euros, amount=D("-1.00"), txn_date=DAY(2025, 3, 1))
    TransactionFactory(account=dollars, amount=D("-1.00"), txn_date=DAY(2025, 3, 3))

    # The caller (JWT), the customer, the months with the range's totals (two more for the
    # rates), the audit row.
    with django_assert_num_queries(6):
        first = client.get(url).json()
    for day in range(1, 28):
        TransactionFactory(account=euros, amount=D("-1.00"), txn_date=DAY(2024, 6, day))
        TransactionFactory(account=dollars, amount=D("-1.00"), txn_date=DAY(2025, 1, 20))
    with django_assert_num_queries(6):
        second = client.get(url).json()
    assert (first["count"], second["count"]) == (2, 56)

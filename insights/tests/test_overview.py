"""GET /api/v1/dashboard/overview/: the whole dashboard in one call and a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory
from alerts.tests.factories import AlertFactory
from bills.services import bill_pay
from bills.tests.factories import BillFactory
from budgets.tests.factories import BudgetFactory
from conftest import client_for
from insights.overview import dashboard_overview
from rewards.tests.factories import PointsEntryFactory, RewardProgrammeFactory
from smartbank.dates import add_months
from smartbank.testing import database_snapshot
from transactions.services import transfer_create
from transactions.tests.factories import TransactionFactory, default_category

URL = "/api/v1/dashboard/overview/"

D = Decimal
pytestmark = pytest.mark.django_db

MAR_28 = datetime.date(2025, 3, 28)
MAR_31 = datetime.date(2025, 3, 31)
APR_1 = datetime.date(2025, 4, 1)
NOW = datetime.datetime(2025, 3, 31, 23, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_now():
    """31 March 2025, 23:30 UTC: already 1 April in London (summer time, UTC+1), still
    31 March in New York (UTC-4). So "this month" is April for one and March for the other."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def rates():
    """Friday's ECB rates, in force over the weekend and after: 1 EUR = 1.25 USD = 0.80 GBP."""
    ExchangeRateFactory(day=MAR_28, quote="USD", rate=D("1.25"))
    ExchangeRateFactory(day=MAR_28, quote="GBP", rate=D("0.80"))


def txn(account, amount, day, category="groceries", **kwargs):
    return TransactionFactory(
        account=account,
        amount=D(amount),
        txn_date=day,
        category=default_category(category) if category else None,
        **kwargs,
    )


@pytest.fixture
def londoner(rates):
    """A London customer (base EUR) with accounts in three currencies and a full dashboard."""
    user = UserFactory(time_zone="Europe/London", base_currency="EUR")
    euros = BankAccountFactory(user=user, name="A Everyday", opening_balance=D("2000.00"))
    dollars = BankAccountFactory(
        user=user,
        name="B Dollars",
        currency="USD",
        account_type=BankAccount.Type.SAVINGS,
        opening_balance=D("500.00"),
    )
    card = BankAccountFactory(
        user=user,
        name="C Card",
        currency="GBP",
        account_type=BankAccount.Type.CREDIT_CARD,
        opening_balance=D("0.00"),
        credit_limit=D("1000.00"),
    )
    BankAccountFactory(user=user, name="D Old", opening_balance=D("50.00"), is_archived=True)

    rows = {
        "march": txn(euros, "-20.00", MAR_31),  # last month, in London
        "groceries": txn(euros, "-30.00", APR_1),
        "salary": txn(euros, "100.00", APR_1, category="income", merchant="Employer"),
        "dollars": txn(dollars, "-12.50", APR_1),  # 10.00 EUR
        "card": txn(card, "-8.00", APR_1, category="dining"),  # 10.00 EUR
    }
    transfer_create(
        user=user,
        from_account=euros,
        to_account=dollars,
        amount=D("100.00"),
        amount_received=D("125.00"),
        txn_date=APR_1,
    )
    budget = BudgetFactory(user=user, month=APR_1, amount=D("50.00"))
    bills = {
        "today": BillFactory(user=user, biller="Power", due_date=APR_1),
        "in_14_days": BillFactory(user=user, biller="Water", due_date=datetime.date(2025, 4, 15)),
        "yesterday": BillFactory(user=user, biller="Phone", due_date=MAR_31),
        "long_ago": BillFactory(user=user, biller="Gym", due_date=datetime.date(2025, 2, 10)),
    }
    BillFactory(user=user, biller="Too far", due_date=datetime.date(2025, 4, 16))
    paid = BillFactory(user=user, biller="Paid", due_date=datetime.date(2025, 4, 3), account=euros)
    with time_machine.travel(datetime.datetime(2025, 3, 15, 12, tzinfo=datetime.UTC)):
        bill_pay(bill=paid, actor=user)  # paid in March: earns, and makes its next occurrence
    AlertFactory(user=user)
    AlertFactory(user=user)
    AlertFactory(user=user, read_at=NOW)
    AlertFactory(user=user, dismissed_at=NOW)
    programme = RewardProgrammeFactory(user=user)
    PointsEntryFactory(programme=programme, points=1000)
    PointsEntryFactory(programme=programme, points=-250)
    return {"user": user, "accounts": (euros, dollars, card), "rows": rows, "budget": budget} | {
        "bills": bills
    }


def test_the_overview_of_a_customer_in_several_currencies(londoner, other_user):
    user = londoner["user"]
    euros, dollars, card = londoner["accounts"]
    BankAccountFactory(user=other_user, opening_balance=D("9999.00"))
    AlertFactory(user=other_user)
    BillFactory(user=other_user, due_date=APR_1)

    response = client_for(user).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "EUR"
    assert body["today"] == "2025-04-01"
    assert body["accounts"] == {
        "count": 3,
        "currency": "EUR",
        # 1890.00 EUR + 612.50 USD (490.00 EUR) - 8.00 GBP (-10.00 EUR); the archived one out
        "total_balance": "2370.00",
        "total_complete": True,
        "items": [
            {
                "id": euros.pk,
                "name": "A Everyday",
                "account_type": "checking",
                "currency": "EUR",
                "balance": "1890.00",  # 2000 - 20 - 30 + 100 - 100 (transfer) - 60 (bill)
                "rate": "1",
                "balance_in_base": "1890.00",
            },
            {
                "id": dollars.pk,
                "name": "B Dollars",
                "account_type": "savings",
                "currency": "USD",
                "balance": "612.50",
                "rate": "0.8",
                "balance_in_base": "490.00",
            },
            {
                "id": card.pk,
                "name": "C Card",
                "account_type": "credit_card",
                "currency": "GBP",
                "balance": "-8.00",
                "rate": "1.25",
                "balance_in_base": "-10.00",
            },
        ],
    }
    # April so far, transfers left out: 100.00 in; 30.00 + 10.00 + 10.00 out.
    assert body["this_month"] == {
        "date_from": "2025-04-01",
        "date_to": "2025-04-01",
        "currency": "EUR",
        "income": "100.00",
        "spending": "50.00",
        "net": "50.00",
        "count": 4,
    }
    budgets = body["budgets"]
    assert (budgets["year"], budgets["month"], budgets["currency"]) == (2025, 4, "EUR")
    assert [
        (b["id"], b["category"], b["amount"], b["progress"]["spent"], b["progress"]["remaining"])
        for b in budgets["budgets"]
    ] == [(londoner["budget"].pk, "groceries", "50.00", "40.00", "10.00")]
    assert budgets["unbudgeted"] == [
        {"category": "dining", "category_name": "Dining", "spent": "10.00", "currency": "EUR"}
    ]
    bills = londoner["bills"]
    assert body["bills"]["until"] == "2025-04-15"
    assert [(b["id"], b["status"]) for b in body["bills"]["upcoming"]] == [
        (bills["today"].pk, "due"),
        (bills["in_14_days"].pk, "upcoming"),
    ]
    assert [(b["id"], b["status"]) for b in body["bills"]["overdue"]] == [
        (bills["long_ago"].pk, "overdue"),
        (bills["yesterday"].pk, "overdue"),
    ]
    assert body["bills"]["overdue_count"] == 2
    assert body["unread_alerts"] == 2
    # 1000 - 250, plus the on-time payment's points if a rule rewards it (none here)
    assert body["reward_points"] == 750
    rows = londoner["rows"]
    recent = body["recent_transactions"]
    assert len(recent) == 8  # five rows, two transfer legs, the bill payment
    assert [r["txn_date"] for r in recent] == sorted((r["txn_date"] for r in recent), reverse=True)
    assert recent[-2]["id"] == rows["march"].pk
    assert {
        "id": rows["card"].pk,
        "txn_date": "2025-04-01",
        "amount": "-8.00",
        "currency": "GBP",
        "kind": "expense",
        "description": rows["card"].description,
        "merchant": "Corner Shop",
        "account": card.pk,
        "account_name": "C Card",
        "category": "dining",
        "category_name": "Dining",
    } in recent
    assert body["complete"] is True
    assert body["missing_rates"] == []


def test_this_month_is_the_customers_month_in_their_time_zone(rates):
    new_yorker = UserFactory(time_zone="America/New_York", base_currency="USD")
    account = BankAccountFactory(user=new_yorker, currency="USD", opening_balance=D("1000.00"))
    txn(account, "-5.00", datetime.date(2025, 3, 1))
    txn(account, "-20.00", MAR_31)
    txn(account, "-7.00", APR_1)  # tomorrow, for them: not yet this month's
    txn(account, "-3.00", datetime.date(2025, 2, 28))

    body = client_for(new_yorker).get(URL).json()

    assert body["today"] == "2025-03-31"
    assert body["this_month"]["date_from"] == "2025-03-01"
    assert body["this_month"]["spending"] == "25.00"
    assert body["this_month"]["count"] == 2
    assert body["accounts"]["total_balance"] == "965.00"
    assert (body["budgets"]["year"], body["budgets"]["month"]) == (2025, 3)


def test_a_london_customer_at_the_same_moment_is_in_april(rates):
    londoner = UserFactory(time_zone="Europe/London")
    account = BankAccountFactory(user=londoner, opening_balance=D("1000.00"))
    txn(account, "-20.00", MAR_31)
    txn(account, "-7.00", APR_1)

    body = client_for(londoner).get(URL).json()

    assert body["this_month"]["date_from"] == "2025-04-01"
    assert body["this_month"]["spending"] == "7.00"


def test_a_missing_rate_blanks_only_what_needs_it(rates):
    user = UserFactory(base_currency="EUR")
    euros = BankAccountFactory(user=user, name="A", opening_balance=D("100.00"))
    yen = BankAccountFactory(user=user, name="B", currency="JPY", opening_balance=D("5000.00"))
    txn(euros, "-10.00", APR_1)
    txn(yen, "-500.00", APR_1)
    BudgetFactory(user=user, month=APR_1)
    client = client_for(user)
    before = database_snapshot()

    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["accounts"]["items"][1]["balance_in_base"] is None
    assert body["accounts"]["total_balance"] == "90.00"
    assert body["accounts"]["total_complete"] is False
    assert body["this_month"] is None
    assert body["budgets"] is None
    assert body["complete"] is False
    detail = "No exchange rate for JPY->EUR on or before 2025-04-01."
    assert body["missing_rates"] == [
        {"section": section, "base": "JPY", "quote": "EUR", "day": "2025-04-01", "detail": detail}
        for section in ("accounts", "this_month", "budgets")
    ]
    assert len(body["recent_transactions"]) == 2
    assert database_snapshot() == before


def test_an_empty_dashboard(user):
    body = client_for(user).get(URL).json()

    assert body["accounts"] == {
        "count": 0,
        "currency": "EUR",
        "total_balance": "0.00",
        "total_complete": True,
        "items": [],
    }
    assert body["this_month"]["income"] == "0.00"
    assert body["this_month"]["spending"] == "0.00"
    assert body["budgets"]["budgets"] == []
    assert body["bills"] == {
        "until": "2025-04-15",
        "upcoming": [],
        "overdue": [],
        "overdue_count": 0,
    }
    assert (body["unread_alerts"], body["reward_points"], body["recent_transactions"]) == (0, 0, [])


def test_anonymous_is_401(anon_client):
    response = anon_client.get(URL)

    assert response.status_code == 401


def test_another_customers_data_never_appears(londoner, other_user):
    body = client_for(other_user).get(URL).json()

    assert body["accounts"]["count"] == 0
    assert body["this_month"]["count"] == 0
    assert body["budgets"]["budgets"] == []
    assert body["budgets"]["unbudgeted"] == []
    assert body["bills"]["upcoming"] == body["bills"]["overdue"] == []
    assert (body["unread_alerts"], body["reward_points"], body["recent_transactions"]) == (0, 0, [])


def test_overdue_bills_are_capped_but_counted(user):
    for day in range(1, 13):
        BillFactory(user=user, due_date=datetime.date(2025, 3, day))

    overview = dashboard_overview(user=user)

    assert len(overview.bills.overdue) == 10
    assert overview.bills.overdue[0].due_date == datetime.date(2025, 3, 1)
    assert overview.bills.overdue_count == 12


# --- Queries --------------------------------------------------------------------------


def history(accounts, months):
    """Two rows in every account on the 1st and the 15th of ``months`` months up to this one
    (only the 1st of this one: the 15th is not yet)."""
    for back in range(months):
        start = add_months(APR_1, -back)
        for day in [start, start + datetime.timedelta(days=14)][: 1 if back == 0 else 2]:
            for account in accounts:
                txn(account, "-1.00", day)
                txn(account, "1.00", day, category="income")


# One query each: the user (JWT), the accounts, the budgets, the month's spending per
# category, the bills due soon, the overdue bills, unread alerts, points, recent rows; and
# cash flow's one aggregate over this month's rows.
ONE_CURRENCY_QUERIES = 10
# Plus a rate book (two queries) for balances, for cash flow's aggregate, and for the
# budgets.
SEVERAL_CURRENCIES_QUERIES = ONE_CURRENCY_QUERIES + 6


@pytest.mark.parametrize("months", [3, 30])
def test_the_queries_do_not_grow_with_the_history(rates, django_assert_num_queries, months):
    user = UserFactory()
    euros = BankAccountFactory(user=user, opening_balance=D("10000.00"))
    history([euros], months)
    BudgetFactory(user=user, month=APR_1)
    BillFactory(user=user, due_date=APR_1)
    BillFactory(user=user, due_date=MAR_31)
    client = client_for(user)

    with django_assert_num_queries(ONE_CURRENCY_QUERIES):
        body = client.get(URL).json()
    assert body["this_month"]["count"] == 2
    assert len(body["recent_transactions"]) == 10

    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=D("10000.00"))
    pounds = BankAccountFactory(user=user, currency="GBP", opening_balance=D("10000.00"))
    history([dollars, pounds], months)

    with django_assert_num_queries(SEVERAL_CURRENCIES_QUERIES):
        body = client.get(URL).json()
    assert body["this_month"]["count"] == 6
    # The older dollar and pound rows have no rate (rates start on 28 March): complete, so
    # nothing before this month was summed or converted.
    assert body["complete"] is True

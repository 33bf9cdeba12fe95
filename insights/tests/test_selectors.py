"""The insights selectors on small hand-made histories: each figure worked out by hand."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory
from insights.selectors import (
    InsightScope,
    burn_rate,
    cash_flow,
    category_spending,
    liquid_balance,
    merchant_spending,
    scope_rows,
    transaction_metrics,
)
from transactions.models import Transaction
from transactions.services import transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(datetime.datetime(2025, 6, 20, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def account(user):
    return BankAccountFactory(
        user=user, currency="EUR", opening_balance=D("1000.00"), opening_date=DAY(2025, 1, 1)
    )


@pytest.fixture
def savings(user):
    return BankAccountFactory(
        user=user,
        account_type="savings",
        currency="EUR",
        opening_balance=D("0.00"),
        opening_date=DAY(2025, 1, 1),
    )


def scope(user, first, last, **kwargs) -> InsightScope:
    return InsightScope(user=user, date_from=first, date_to=last, **kwargs)


def pay(account, amount, day, **kwargs):
    return TransactionFactory(account=account, amount=D(amount), txn_date=day, **kwargs)


# --- scope_rows and cash_flow -----------------------------------------------------------


def test_scope_rows_keep_the_range_account_and_categories_and_drop_transfers(
    user, account, savings, other_user
):
    groceries, dining = default_category("groceries"), default_category("dining")
    kept = [
        pay(account, "-1.00", DAY(2025, 3, 1), category=groceries),
        pay(account, "2.00", DAY(2025, 3, 31), category=groceries),
    ]
    pay(account, "-3.00", DAY(2025, 2, 28), category=groceries)  # before the range
    pay(account, "-4.00", DAY(2025, 4, 1), category=groceries)  # after it
    pay(account, "-5.00", DAY(2025, 3, 5), category=dining)  # another category
    pay(savings, "6.00", DAY(2025, 3, 5), category=groceries)  # another account
    pay(BankAccountFactory(user=other_user), "-7.00", DAY(2025, 3, 5), category=groceries)
    transfer_create(
        user=user, from_account=account, to_account=savings, amount=D("8.00"),
        txn_date=DAY(2025, 3, 6),
    )  # fmt: skip
    rows = scope_rows(
        scope(user, DAY(2025, 3, 1), DAY(2025, 3, 31), account=account, categories=(groceries,))
    )
    assert sorted(rows.values_list("pk", flat=True)) == [t.pk for t in kept]
    everything = scope_rows(scope(user, DAY(2025, 1, 1), DAY(2025, 12, 31)))
    assert not everything.filter(kind=Transaction.Kind.TRANSFER).exists()
    assert everything.count() == 6


def test_cash_flow_per_month_with_refunds_transfers_and_empty_months(user, account, savings):
    pay(account, "3000.00", DAY(2025, 3, 25), category=default_category("income"))
    pay(account, "-120.50", DAY(2025, 3, 3))
    pay(account, "20.25", DAY(2025, 3, 9))  # a refund is money in
    transfer_create(
        user=user, from_account=account, to_account=savings, amount=D("500.00"),
        txn_date=DAY(2025, 4, 2),
    )  # fmt: skip
    pay(savings, "-0.75", DAY(2025, 5, 31))

    flow = cash_flow(scope=scope(user, DAY(2025, 2, 15), DAY(2025, 5, 31)))

    assert (flow.currency, flow.date_from, flow.date_to, flow.period) == (
        "EUR",
        DAY(2025, 2, 15),
        DAY(2025, 5, 31),
        "month",
    )
    assert [(p.start, p.end, p.money_in, p.money_out, p.net, p.count) for p in flow.periods] == [
        (DAY(2025, 2, 1), DAY(2025, 2, 28), D("0.00"), D("0.00"), D("0.00"), 0),
        (DAY(2025, 3, 1), DAY(2025, 3, 31), D("3020.25"), D("120.50"), D("2899.75"), 3),
        (DAY(2025, 4, 1), DAY(2025, 4, 30), D("0.00"), D("0.00"), D("0.00"), 0),
        (DAY(2025, 5, 1), DAY(2025, 5, 31), D("0.00"), D("0.75"), D("-0.75"), 1),
    ]
    assert (flow.money_in, flow.money_out, flow.net, flow.count) == (
        D("3020.25"),
        D("121.25"),
        D("2899.00"),
        4,
    )
    # Zero shows as 0.00, never -0.00.
    assert str(flow.periods[0].money_out) == "0.00"


def test_cash_flow_totals_are_rounded_once_not_summed_from_rounded_months(user, account):
    dollars = BankAccountFactory(user=user, currency="USD", opening_date=DAY(2025, 1, 1))
    ExchangeRateFactory(base="EUR", quote="USD", day=DAY(2025, 1, 1), rate=D("2"))
    # 0.01 USD is 0.005 EUR: each month rounds (half to even) to 0.00, the two make 0.01.
    pay(dollars, "-0.01", DAY(2025, 3, 3))
    pay(dollars, "-0.01", DAY(2025, 4, 3))
    pay(account, "-1.00", DAY(2025, 4, 4))
    flow = cash_flow(scope=scope(user, DAY(2025, 3, 1), DAY(2025, 4, 30)))
    assert [p.money_out for p in flow.periods] == [D("0.00"), D("1.00")]
    assert flow.money_out == D("1.01")


def test_cash_flow_by_iso_week(user, account):
    pay(account, "-1.00", DAY(2025, 3, 2))  # a Sunday
    pay(account, "-2.00", DAY(2025, 3, 3))  # the Monday after
    flow = cash_flow(scope=scope(user, DAY(2025, 3, 1), DAY(2025, 3, 10)), period="week")
    assert [(p.start, p.end, p.money_out) for p in flow.periods] == [
        (DAY(2025, 2, 24), DAY(2025, 3, 2), D("1.00")),
        (DAY(2025, 3, 3), DAY(2025, 3, 9), D("2.00")),
        (DAY(2025, 3, 10), DAY(2025, 3, 16), D("0.00")),
    ]
    with pytest.raises(ValueError, match="Unknown period 'day'"):
        cash_flow(scope=scope(user, DAY(2025, 3, 1), DAY(2025, 3, 10)), period="day")


# --- Merchants --------------------------------------------------------------------------


def test_merchants_rank_by_spending_net_of_refunds(user, account):
    day = DAY(2025, 6, 1)
    pay(account, "-50.00", day, merchant="Book Nook")
    pay(account, "-30.00", day, merchant="Book Nook")
    pay(account, "20.00", day, merchant="Book Nook")  # a refund: 60.00 spent, 3 rows
    pay(account, "-60.00", day, merchant="Atlas Cafe")  # the same spending: by name
    pay(account, "-99.00", day, merchant="")  # no merchant: left out
    pay(account, "-10.00", day, merchant="Returns Ltd")
    pay(account, "15.00", day, merchant="Returns Ltd")  # refunded more than spent: left out
    pay(account, "2500.00", day, merchant="Employer Ltd")  # pays, is not paid: left out
    pay(account, "-5.00", day, merchant="Kiosk")

    found = merchant_spending(scope=scope(user, day, day), limit=10)
    assert [(m.merchant, m.spending, m.count) for m in found.merchants] == [
        ("Atlas Cafe", D("60.00"), 1),
        ("Book Nook", D("60.00"), 3),
        ("Kiosk", D("5.00"), 1),
    ]
    top = merchant_spending(scope=scope(user, day, day), limit=1)
    assert [m.merchant for m in top.merchants] == ["Atlas Cafe"]
    assert top.limit == 1


# --- Categories -------------------------------------------------------------------------


def test_categories_with_shares_uncategorised_and_refunds(user, account):
    day = DAY(2025, 6, 1)
    groceries, dining, income = (default_category(s) for s in ("groceries", "dining", "income"))
    shopping = default_category("shopping")
    pay(account, "-40.00", day, category=groceries)
    pay(account, "10.00", day, category=groceries)  # refund: 30.00 spent
    pay(account, "-30.00", day, category=dining)
    pay(account, "-30.00", day, category=None)  # uncategorised, a row of its own
    pay(account, "2000.00", day, category=income)  # income is no spending
    pay(account, "-5.00", day, category=shopping)
    pay(account, "5.00", day, category=shopping)  # nets to zero: no spending

    found = category_spending(scope=scope(user, day, day))
    assert [(c.slug, c.name, c.spending, c.share, c.count) for c in found.categories] == [
        ("dining", "Dining", D("30.00"), D("33.33"), 1),
        ("groceries", "Groceries", D("30.00"), D("33.33"), 2),
        (None, "Uncategorised", D("30.00"), D("33.33"), 1),
    ]
    assert found.total_spending == D("90.00")


def test_categories_of_nothing(user, account):
    found = category_spending(scope=scope(user, DAY(2025, 6, 1), DAY(2025, 6, 30)))
    assert (found.categories, found.total_spending) == ([], D("0.00"))


def test_a_users_own_category_is_its_own_row(user, account):
    own = CategoryFactory(user=user, slug="groceries", name="My groceries")
    pay(account, "-10.00", DAY(2025, 6, 1), category=own)
    pay(account, "-30.00", DAY(2025, 6, 1), category=default_category("groceries"))
    found = category_spending(scope=scope(user, DAY(2025, 6, 1), DAY(2025, 6, 1)))
    assert [(c.name, c.share) for c in found.categories] == [
        ("Groceries", D("75.00")),
        ("My groceries", D("25.00")),
    ]


# --- Burn rate --------------------------------------------------------------------------


def test_burn_rate_worked_by_hand(user, account, savings):
    card = BankAccountFactory(
        user=user, account_type="credit_card", opening_balance=D("0.00"), credit_limit=D("500")
    )
    as_of = DAY(2025, 6, 20)
    pay(account, "-270.00", as_of)  # in both windows and this month
    pay(card, "-30.00", DAY(2025, 5, 22))  # the 30-day window's first day
    pay(account, "-600.00", DAY(2025, 5, 21))  # 90 days only
    pay(account, "-99.00", DAY(2025, 3, 23))  # the 90-day window's first day
    pay(account, "-1.00", DAY(2025, 3, 22))  # before both
    pay(account, "50.00", DAY(2025, 6, 10))  # a refund does not slow the pace
    pay(account, "-5.00", DAY(2025, 6, 21))  # tomorrow: not yet
    transfer_create(
        user=user, from_account=account, to_account=savings, amount=D("25.00"),
        txn_date=DAY(2025, 6, 15),
    )  # fmt: skip

    rate = burn_rate(scope=scope(user, as_of - datetime.timedelta(days=89), as_of))

    assert (rate.date_from, rate.date_to) == (DAY(2025, 3, 23), as_of)
    assert (rate.spending_30_days, rate.average_daily_30_days) == (D("300.00"), D("10.00"))
    assert (rate.spending_90_days, rate.average_daily_90_days) == (D("999.00"), D("11.10"))
    assert (rate.month_to_date_spending, rate.days_left_in_month) == (D("270.00"), 10)
    assert rate.projected_month_end_spending == D("370.00")
    # 1000 - 270 - 600 - 99 - 1 + 50 (the card is credit, not money; tomorrow's row not yet)
    assert rate.liquid_balance == D("80.00")
    assert rate.runway_days == 8

    only_card = burn_rate(scope=scope(user, as_of, as_of, account=card))
    assert (only_card.spending_30_days, only_card.liquid_balance, only_card.runway_days) == (
        D("30.00"),
        None,
        None,
    )


def test_runway_is_none_without_spending_and_zero_without_money(user, account):
    as_of = DAY(2025, 6, 20)
    quiet = burn_rate(scope=scope(user, as_of, as_of))
    assert (quiet.spending_30_days, quiet.liquid_balance, quiet.runway_days) == (
        D("0.00"),
        D("1000.00"),
        None,
    )
    pay(account, "-1000.00", DAY(2025, 6, 1))
    broke = burn_rate(scope=scope(user, as_of, as_of))
    assert (broke.liquid_balance, broke.runway_days) == (D("0.00"), 0)
    assert broke.projected_month_end_spending == D("1333.33")  # 1000 + 1000/30 * 10


def test_liquid_balance_as_it_stood_converted_at_that_days_rate(user, account, savings):
    pay(account, "-100.00", DAY(2025, 5, 10))
    pay(account, "-200.00", DAY(2025, 5, 20))
    transfer_create(
        user=user, from_account=account, to_account=savings, amount=D("300.00"),
        txn_date=DAY(2025, 5, 25),
    )  # fmt: skip
    pounds = BankAccountFactory(
        user=user, account_type="cash", currency="GBP", opening_balance=D("10.00"),
        opening_date=DAY(2025, 5, 1),
    )  # fmt: skip
    # Opened after 15 May: not there yet.
    BankAccountFactory(
        user=user, account_type="savings", opening_balance=D("5000.00"),
        opening_date=DAY(2025, 5, 16),
    )  # fmt: skip
    ExchangeRateFactory(base="EUR", quote="GBP", day=DAY(2025, 5, 14), rate=D("0.8"))
    ExchangeRateFactory(base="EUR", quote="GBP", day=DAY(2025, 5, 15), rate=D("0.5"))
    assert liquid_balance(user=user, day=DAY(2025, 5, 15)) == D("920.00")  # 900 + 10 / 0.5
    assert liquid_balance(user=user, day=DAY(2025, 5, 15), account=savings) == D("0.00")
    assert liquid_balance(user=user, day=DAY(2025, 5, 15), account=pounds) == D("20.00")
    assert liquid_balance(user=user, day=DAY(2025, 4, 30), account=pounds) is None


# --- Transaction metrics ----------------------------------------------------------------


def test_metrics_average_and_top_categories(user, account):
    pay(account, "-10.00", DAY(2025, 6, 1))
    pay(account, "-10.00", DAY(2025, 6, 2))
    pay(account, "-10.01", DAY(2025, 6, 3), category=default_category("dining"))
    pay(account, "4.00", DAY(2025, 6, 4), category=None)
    metrics = transaction_metrics(rows=Transaction.objects.for_user(user), currency="EUR")
    assert (metrics.total_spent, metrics.expense_count, metrics.average_transaction) == (
        D("30.01"),
        3,
        D("10.00"),
    )
    assert (metrics.money_in, metrics.income_count) == (D("4.00"), 1)
    assert [(c.slug, c.spending) for c in metrics.top_categories] == [
        ("groceries", D("20.00")),
        ("dining", D("10.01")),
    ]
    nothing = transaction_metrics(rows=Transaction.objects.none(), currency="EUR")
    assert (nothing.total_spent, nothing.average_transaction, nothing.top_categories) == (
        D("0.00"),
        None,
        [],
    )

"""Budget progress: spent is the customer's matching expenses, checked against a plain sum."""

import datetime
import random
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import currency
from accounts.currency import MissingRateError
from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory
from budgets import selectors
from budgets.models import Budget
from budgets.tests.factories import BudgetFactory
from smartbank.money import quantize_money
from transactions.models import Transaction
from transactions.services import transfer_create
from transactions.tests.factories import CategoryFactory, TransactionFactory, default_category

pytestmark = pytest.mark.django_db

D = Decimal


def spend(account, amount, day, category="groceries", **extra):
    if isinstance(category, str):
        category = default_category(category)
    return TransactionFactory(
        account=account, amount=D(amount), txn_date=day, category=category, **extra
    )


def independent_spent(budget: Budget) -> Decimal:
    """Minus the sum of the budget's matching rows, each converted with currency.rate().

    A plain loop over every row in the database, with the module-level rate lookup (its own
    queries, no RateBook), rounded once at the end.
    """
    total = D(0)
    for txn in Transaction.objects.all():
        if (
            txn.user_id == budget.user_id
            and txn.category_id == budget.category_id
            and txn.kind != Transaction.Kind.TRANSFER
            and (txn.txn_date.year, txn.txn_date.month) == (budget.month.year, budget.month.month)
        ):
            total += txn.amount * currency.rate(txn.currency, budget.currency, txn.txn_date)
    return quantize_money(-total)


# --- The must-show ------------------------------------------------------------

MONTHS = [datetime.date(2025, month, 1) for month in (1, 2, 3, 4)]
CATEGORIES = ["groceries", "dining", "transport", "travel"]


def _seed_rates(rng: random.Random) -> None:
    """ECB-like EUR->USD and EUR->GBP on weekdays only (weekends use Friday's rate)."""
    day = datetime.date(2024, 12, 20)
    while day <= datetime.date(2025, 4, 30):
        if day.weekday() < 5:
            ExchangeRateFactory(
                day=day, quote="USD", rate=D("1.03") + D(rng.randint(0, 600)) / 10000
            )
            ExchangeRateFactory(
                day=day, quote="GBP", rate=D("0.82") + D(rng.randint(0, 400)) / 10000
            )
        day += datetime.timedelta(days=1)


def _random_day(rng: random.Random, month: datetime.date, last_day: datetime.date) -> datetime.date:
    end = selectors.month_end(month)
    if end > last_day:
        end = last_day
    return month + datetime.timedelta(days=rng.randint(0, (end - month).days))


def _seed_customer(rng, user, accounts, last_day) -> None:
    """Expenses, refunds, income, uncategorised rows and transfers over four months."""
    own = CategoryFactory(user=user, name="Hobbies", slug="hobbies")
    categories = [*CATEGORIES, own]
    for month in MONTHS:
        if month > last_day:
            continue  # nothing has happened yet in a month that has not begun
        for _ in range(rng.randint(12, 20)):
            account = rng.choice(accounts)
            category = rng.choice(categories)
            amount = -D(rng.randint(100, 25000)) / 100
            spend(account, amount, _random_day(rng, month, last_day), category)
        for _ in range(3):  # refunds: positive amounts in spending categories
            spend(
                rng.choice(accounts),
                D(rng.randint(100, 3000)) / 100,
                _random_day(rng, month, last_day),
                rng.choice(categories),
            )
        spend(accounts[0], "2500.00", month, "income")
        spend(accounts[0], "-7.77", _random_day(rng, month, last_day), category=None)
        # A transfer between two of the customer's accounts never counts as spending.
        transfer_create(
            user=user,
            from_account=accounts[0],
            to_account=accounts[1],
            amount=D("150.00"),
            amount_received=D("150.00")
            if accounts[0].currency == accounts[1].currency
            else D("160.00"),
            txn_date=_random_day(rng, month, last_day),
        )


# 2025-03-31 12:00 UTC is already 1 April in Auckland (UTC+13) and still the morning of
# 31 March in Los Angeles (UTC-7): "this month" differs from UTC's for one of them.
FROZEN = datetime.datetime(2025, 3, 31, 12, 0, tzinfo=datetime.UTC)


@time_machine.travel(FROZEN, tick=False)
def test_budget_progress_equals_the_sum_of_matching_expenses_across_months_categories_and_zones():
    rng = random.Random(20250331)
    _seed_rates(rng)
    kiwi = UserFactory(time_zone="Pacific/Auckland", base_currency="EUR")
    angeleno = UserFactory(time_zone="America/Los_Angeles", base_currency="USD")
    londoner = UserFactory(time_zone="Europe/London", base_currency="GBP")
    assert (kiwi.today(), angeleno.today()) == (
        datetime.date(2025, 4, 1),
        datetime.date(2025, 3, 31),
    )
    wallets = {
        kiwi: [
            BankAccountFactory(user=kiwi, currency="EUR", opening_balance=D("100000.00")),
            BankAccountFactory(user=kiwi, currency="USD", opening_balance=D("100000.00")),
        ],
        angeleno: [
            BankAccountFactory(user=angeleno, currency="USD", opening_balance=D("100000.00")),
            BankAccountFactory(
                user=angeleno,
                currency="EUR",
                account_type=BankAccount.Type.SAVINGS,
                opening_balance=D("100000.00"),
            ),
        ],
        londoner: [
            BankAccountFactory(user=londoner, currency="USD", opening_balance=D("100000.00")),
            BankAccountFactory(user=londoner, currency="EUR", opening_balance=D("100000.00")),
        ],
    }
    for customer, accounts in wallets.items():
        _seed_customer(rng, customer, accounts, last_day=customer.today())
    budgets = [
        BudgetFactory(user=customer, category=category, month=month, amount=D("300.00"))
        for customer in wallets
        for month in MONTHS
        for category in [default_category(slug) for slug in CATEGORIES]
        + [customer.categories.get(slug="hobbies")]
    ]
    assert Transaction.objects.filter(kind="transfer").exists()

    progress = selectors.budgets_progress(budgets=Budget.objects.select_related("user"))

    assert len(progress) == len(budgets) == 60
    for item in progress:
        expected = independent_spent(item.budget)
        assert item.spent == expected, item.budget
        assert item.remaining == item.budget.amount - expected
        assert item.exceeded is (expected > item.budget.amount)
        assert item.percent_used == (expected * 100 / item.budget.amount).quantize(D("0.01"))
        assert item.currency == item.budget.currency
    # The data is not trivial: budgets both within and over their limits, refunds.
    assert {p.exceeded for p in progress} == {True, False}
    assert Transaction.objects.filter(kind="income").exclude(category__slug="income").exists()
    # Each single budget agrees with the batch.
    sample = progress[17]
    assert selectors.budget_progress(budget=sample.budget) == sample
    # "This month" is each customer's own: April has begun in Auckland, not in Los Angeles.
    by_key = {(p.budget.user_id, p.budget.month, p.budget.category_id): p for p in progress}
    groceries = default_category("groceries").pk
    april_kiwi = by_key[(kiwi.pk, MONTHS[3], groceries)]
    assert (april_kiwi.days_elapsed, april_kiwi.projected) == (1, april_kiwi.spent * 30)
    april_angeleno = by_key[(angeleno.pk, MONTHS[3], groceries)]
    assert (april_angeleno.days_elapsed, april_angeleno.projected) == (0, D("0.00"))
    march_angeleno = by_key[(angeleno.pk, MONTHS[2], groceries)]
    assert (march_angeleno.days_elapsed, march_angeleno.projected) == (31, march_angeleno.spent)
    march_kiwi = by_key[(kiwi.pk, MONTHS[2], groceries)]
    assert (march_kiwi.days_elapsed, march_kiwi.projected) == (31, march_kiwi.spent)


# --- The definition, case by case ------------------------------------------------------


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, opening_balance=D("10000.00"))


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_refunds_reduce_spent_and_other_months_categories_and_customers_do_not_count(
    user, account, other_user
):
    budget = BudgetFactory(user=user, month=datetime.date(2025, 3, 1), amount=D("200.00"))
    spend(account, "-120.00", datetime.date(2025, 3, 1))
    spend(account, "-30.50", datetime.date(2025, 3, 31))
    spend(account, "20.00", datetime.date(2025, 3, 15))  # a refund
    spend(account, "-99.00", datetime.date(2025, 2, 28))
    spend(account, "-99.00", datetime.date(2025, 4, 1))
    spend(account, "-99.00", datetime.date(2025, 3, 10), "dining")
    spend(BankAccountFactory(user=other_user), "-99.00", datetime.date(2025, 3, 10))

    progress = selectors.budget_progress(budget=budget)

    assert progress.spent == D("130.50")
    assert progress.remaining == D("69.50")
    assert progress.percent_used == D("65.25")
    assert progress.exceeded is False
    assert progress.currency == "EUR"
    # 20 of 31 days gone: 130.50 / 20 * 31.
    assert (progress.days_elapsed, progress.days_in_month) == (20, 31)
    assert progress.projected == D("202.28")


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_a_transfer_does_not_count(user, account):
    budget = BudgetFactory(user=user, category=default_category("transfers"))
    savings = BankAccountFactory(user=user, account_type=BankAccount.Type.SAVINGS)
    transfer_create(
        user=user,
        from_account=account,
        to_account=savings,
        amount=D("50.00"),
        txn_date=datetime.date(2025, 3, 3),
    )

    assert selectors.budget_progress(budget=budget).spent == D("0.00")


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_exceeded_and_negative_remaining(user, account):
    budget = BudgetFactory(user=user, amount=D("100.00"))
    spend(account, "-100.00", datetime.date(2025, 3, 2))
    at_limit = selectors.budget_progress(budget=budget)
    assert (at_limit.exceeded, at_limit.remaining, at_limit.percent_used) == (
        False,
        D("0.00"),
        D("100.00"),
    )

    spend(account, "-0.01", datetime.date(2025, 3, 2))
    over = selectors.budget_progress(budget=budget)

    assert (over.exceeded, over.remaining, over.percent_used) == (True, D("-0.01"), D("100.01"))


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_refunds_outweighing_spending_give_a_negative_spent(user, account):
    budget = BudgetFactory(user=user, amount=D("100.00"))
    spend(account, "-10.00", datetime.date(2025, 3, 2))
    spend(account, "25.00", datetime.date(2025, 3, 3))

    progress = selectors.budget_progress(budget=budget)

    assert (progress.spent, progress.remaining, progress.percent_used) == (
        D("-15.00"),
        D("115.00"),
        D("-15.00"),
    )


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_projection_for_past_current_and_future_months(user, account):
    spend(account, "-10.00", datetime.date(2025, 2, 14))
    spend(account, "-10.00", datetime.date(2025, 3, 1))
    spend(account, "-10.00", datetime.date(2025, 4, 2))
    past, current, future = (
        BudgetFactory(user=user, month=datetime.date(2025, month, 1)) for month in (2, 3, 4)
    )

    progress = selectors.budgets_progress(budgets=[past, current, future])

    assert [(p.days_elapsed, p.projected) for p in progress] == [
        (28, D("10.00")),
        (20, D("15.50")),
        (0, D("0.00")),
    ]


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_other_currencies_convert_at_each_days_rate(user):
    """EUR budget; a USD account: 1 EUR = 1.10 USD on Friday 7 March, 1.25 from Monday 10."""
    ExchangeRateFactory(day=datetime.date(2025, 3, 7), quote="USD", rate=D("1.10"))
    ExchangeRateFactory(day=datetime.date(2025, 3, 10), quote="USD", rate=D("1.25"))
    dollars = BankAccountFactory(user=user, currency="USD")
    budget = BudgetFactory(user=user, amount=D("100.00"))
    spend(dollars, "-11.00", datetime.date(2025, 3, 8))  # Saturday: Friday's rate, 10 EUR
    spend(dollars, "-11.00", datetime.date(2025, 3, 9))  # Sunday: 10 EUR
    spend(dollars, "-25.00", datetime.date(2025, 3, 10))  # 20 EUR

    assert selectors.budget_progress(budget=budget).spent == D("40.00")


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_the_total_is_rounded_once_not_per_day(user):
    # 1 EUR = 3 USD: each 0.01 USD is 0.00333... EUR. Rounded per day it would be 0.00;
    # the exact sum of three is 0.01.
    ExchangeRateFactory(day=datetime.date(2025, 3, 3), quote="USD", rate=D("3"))
    dollars = BankAccountFactory(user=user, currency="USD")
    budget = BudgetFactory(user=user)
    for day in (3, 4, 5):
        spend(dollars, "-0.01", datetime.date(2025, 3, day))

    assert selectors.budget_progress(budget=budget).spent == D("0.01")


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_a_missing_rate_names_the_pair_and_day(user):
    dollars = BankAccountFactory(user=user, currency="USD")
    budget = BudgetFactory(user=user)
    spend(dollars, "-5.00", datetime.date(2025, 3, 4))

    with pytest.raises(MissingRateError, match=r"USD->EUR on or before 2025-03-04"):
        selectors.budget_progress(budget=budget)

    skipped = []
    assert (
        selectors.budgets_progress(
            budgets=[budget], on_missing_rate=lambda b, exc: skipped.append((b, str(exc)))
        )
        == []
    )
    assert skipped == [(budget, "No exchange rate for USD->EUR on or before 2025-03-04.")]


# --- Cost -------------------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
@pytest.mark.parametrize("size", [1, 12])
def test_progress_takes_a_fixed_number_of_queries(user, django_assert_num_queries, size):
    ExchangeRateFactory(day=datetime.date(2024, 12, 31), quote="USD", rate=D("1.05"))
    euros = BankAccountFactory(user=user, opening_balance=D("100000.00"))
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=D("100000.00"))
    categories = [CategoryFactory(user=user) for _ in range(size)]
    budgets = []
    for index, category in enumerate(categories):
        for month in (1, 2, 3):
            day = datetime.date(2025, month, 1 + index)
            spend(euros, "-10.00", day, category)
            spend(dollars, "-10.50", day, category)
            budgets.append(BudgetFactory(user=user, category=category, month=day.replace(day=1)))

    # One aggregate over the transactions, two for the rates; users were loaded with them.
    with django_assert_num_queries(3):
        progress = selectors.budgets_progress(budgets=budgets, today=user.today())

    assert {p.spent for p in progress} == {D("20.00")}


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_progress_in_one_currency_needs_no_rates(user, account, django_assert_num_queries):
    budget = BudgetFactory(user=user)
    spend(account, "-10.00", datetime.date(2025, 3, 1))

    with django_assert_num_queries(1):
        selectors.budgets_progress(budgets=[budget], today=user.today())


def test_owners_not_loaded_are_read_in_one_query(user, other_user):
    budgets = [BudgetFactory(user=user), BudgetFactory(user=other_user)]
    fresh = list(Budget.objects.filter(pk__in=[b.pk for b in budgets]).order_by("pk"))

    with CaptureQueriesContext(connection) as queries:
        selectors.budgets_progress(budgets=fresh)

    assert len(queries) == 2  # the owners, the aggregate


# --- Month summary ----------------------------------------------------------------------


@time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False)
def test_month_summary_lists_budgets_and_spending_without_a_budget(
    user, account, django_assert_num_queries
):
    ExchangeRateFactory(day=datetime.date(2025, 3, 3), quote="USD", rate=D("1.25"))
    dollars = BankAccountFactory(user=user, currency="USD")
    groceries = BudgetFactory(user=user, amount=D("100.00"))
    BudgetFactory(user=user, month=datetime.date(2025, 2, 1))  # another month
    spend(account, "-40.00", datetime.date(2025, 3, 5))
    spend(account, "-12.00", datetime.date(2025, 3, 6), "dining")
    spend(dollars, "-25.00", datetime.date(2025, 3, 6), "dining")  # 20 EUR
    spend(account, "-8.00", datetime.date(2025, 3, 7), "transport")
    spend(account, "3.00", datetime.date(2025, 3, 8), "travel")  # a refund only: left out
    spend(account, "-5.00", datetime.date(2025, 3, 9), category=None)
    spend(account, "1500.00", datetime.date(2025, 3, 1), "income")  # left out
    spend(account, "-99.00", datetime.date(2025, 4, 1), "dining")  # another month

    with django_assert_num_queries(4):  # budgets, aggregate, rates (2)
        summary = selectors.month_summary(user=user, year=2025, month=3)

    assert (summary.year, summary.month, summary.currency) == (2025, 3, "EUR")
    assert [(p.budget, p.spent) for p in summary.budgets] == [(groceries, D("40.00"))]
    assert [(c.slug, c.name, c.spent, c.currency) for c in summary.unbudgeted] == [
        ("dining", "Dining", D("32.00"), "EUR"),
        ("transport", "Transport", D("8.00"), "EUR"),
        (None, "Uncategorised", D("5.00"), "EUR"),
    ]
    assert summary.unbudgeted_spent == D("45.00")


def test_month_bounds_refuse_impossible_months():
    assert selectors.month_bounds(2024, 2) == (
        datetime.date(2024, 2, 1),
        datetime.date(2024, 2, 29),
    )
    for year, month in [(1899, 12), (10000, 1), (2025, 0), (2025, 13)]:
        with pytest.raises(ValueError, match="must be"):
            selectors.month_bounds(year, month)

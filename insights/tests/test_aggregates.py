"""grouped_totals: the database's sums, converted per day and rounded once, per group."""

import datetime
from decimal import Decimal

import pytest
from django.db.models.functions import TruncMonth

from accounts.currency import MissingRateError
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory
from insights.aggregates import EXPENSE_COUNT, MONEY_IN, MONEY_OUT, NET, grouped_totals, total
from transactions.models import Transaction
from transactions.tests.factories import TransactionFactory

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date


def test_rows_are_converted_at_their_own_days_rate_and_rounded_once(user):
    euros = BankAccountFactory(user=user, currency="EUR", opening_balance=D("1000.00"))
    dollars = BankAccountFactory(user=user, currency="USD", opening_balance=D("1000.00"))
    ExchangeRateFactory(base="EUR", quote="USD", day=DAY(2025, 3, 1), rate=D("1.1"))
    ExchangeRateFactory(base="EUR", quote="USD", day=DAY(2025, 4, 1), rate=D("1.3"))
    TransactionFactory(account=euros, amount=D("-10.00"), txn_date=DAY(2025, 3, 2))
    TransactionFactory(account=euros, amount=D("50.00"), txn_date=DAY(2025, 3, 3))
    # 0.01 USD three times: each is 0.00909.. EUR; rounded once the three make 0.03.
    for _ in range(3):
        TransactionFactory(account=dollars, amount=D("-0.01"), txn_date=DAY(2025, 3, 5))
    TransactionFactory(account=dollars, amount=D("-13.00"), txn_date=DAY(2025, 4, 2))

    rows = Transaction.objects.for_user(user)
    months = grouped_totals(
        rows,
        currency="EUR",
        group_by={"month": TruncMonth("txn_date")},
        sums={"money_in": MONEY_IN, "money_out": MONEY_OUT, "net": NET},
        counts={"expenses": EXPENSE_COUNT},
    )

    assert months[(DAY(2025, 3, 1),)] == {
        "money_in": D("50.00"),
        "money_out": D("-10.03"),
        "net": D("39.97"),
        "expenses": 4,
    }
    assert months[(DAY(2025, 4, 1),)] == {
        "money_in": D("0.00"),
        "money_out": D("-10.00"),
        "net": D("-10.00"),
        "expenses": 1,
    }


def test_total_without_rows_is_zero(user):
    assert total(
        Transaction.objects.for_user(user),
        currency="GBP",
        sums={"net": NET},
        counts={"n": EXPENSE_COUNT},
    ) == {"net": D("0.00"), "n": 0}


def test_a_missing_rate_names_the_pair_and_day(user):
    francs = BankAccountFactory(user=user, currency="CHF", opening_balance=D("100.00"))
    TransactionFactory(account=francs, amount=D("-1.00"), txn_date=DAY(2025, 3, 2))
    with pytest.raises(MissingRateError, match="CHF->EUR on or before 2025-03-02"):
        total(Transaction.objects.for_user(user), currency="EUR", sums={"net": NET})

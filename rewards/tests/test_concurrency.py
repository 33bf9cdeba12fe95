"""Concurrent redemptions and earnings on PostgreSQL: the row lock and the unique
constraint keep the points ledger exact."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db import transaction as db_transaction

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from rewards import selectors
from rewards.models import PointsEntry, RewardProgramme
from rewards.services import (
    points_earn_for_bill,
    points_earn_for_spending,
    points_redeem,
    programme_for,
)
from rewards.tests.factories import (
    BillRuleFactory,
    EarningRuleFactory,
    PointsEntryFactory,
    RedemptionRateFactory,
)
from transactions.models import Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import TransactionFactory, default_category

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12


def at_once(work) -> list:
    """Run work(i) in THREADS threads that start together; each closes its connection."""
    start = threading.Barrier(THREADS)

    def run(i):
        start.wait(timeout=30)
        try:
            return work(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_concurrent_redemptions_never_spend_a_point_twice():
    user = UserFactory()
    account = BankAccountFactory(user=user, opening_balance=Decimal("10.00"))
    programme = programme_for(user)
    PointsEntryFactory(programme=programme, points=2000)
    RedemptionRateFactory()

    def redeem(_):
        try:
            points_redeem(
                programme=RewardProgramme.objects.get(pk=programme.pk),
                points=600,
                account=BankAccount.objects.get(pk=account.pk),
            )
            return "ok"
        except ValidationError:
            return "refused"

    outcomes = at_once(redeem)

    # 2000 / 600: three fit, whatever the interleaving.
    assert outcomes.count("ok") == 3
    assert selectors.programme_balance(programme=programme) == 200
    assert Transaction.objects.filter(account=account).count() == 3
    account.refresh_from_db()
    assert account.balance == Decimal("28.00")
    assert ledger_differences() == []


def test_concurrent_earnings_for_one_bill_make_one_entry():
    user = UserFactory()
    payment = TransactionFactory(
        account=BankAccountFactory(user=user), txn_date=datetime.date(2025, 3, 14)
    )
    programme_for(user)
    BillRuleFactory(points=Decimal("50.00"))
    bill = SimpleNamespace(
        pk=41,
        user=user,
        due_date=datetime.date(2025, 3, 20),
        notice_days=3,
        created_at=datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC),
        previous_id=None,
        paid_transaction=payment,
    )

    outcomes = at_once(lambda _: points_earn_for_bill(bill=bill))

    assert sum(entry is not None for entry in outcomes) == 1
    assert PointsEntry.objects.filter(cause="bill:41").count() == 1
    assert selectors.programme_balance(programme=programme_for(user)) == 50


def test_concurrent_earnings_for_the_same_spending_make_one_entry_per_cause():
    user = UserFactory()
    account = BankAccountFactory(user=user)
    rows = [
        TransactionFactory(
            account=account, amount=Decimal("-10.00"), category=default_category("groceries")
        )
        for _ in range(3)
    ]
    programme_for(user)
    EarningRuleFactory(points=Decimal("1.00"))

    def earn(_):
        with db_transaction.atomic():
            return points_earn_for_spending(user=user, transactions=rows)

    at_once(earn)

    assert PointsEntry.objects.count() == 3
    assert selectors.programme_balance(programme=programme_for(user)) == 30

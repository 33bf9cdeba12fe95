"""Many requests at once, on PostgreSQL: row locks make one payment, and one reminder."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db import transaction as db_transaction

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from alerts.models import Notification
from bills.models import Bill
from bills.services import BillAlreadyPaid, bill_pay, bill_send_reminder
from bills.tests.factories import BillFactory
from transactions.followups import transactions_written
from transactions.models import Transaction
from transactions.services import ledger_differences, transaction_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 10


def at_once(*calls) -> list[str]:
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait(timeout=30)
        try:
            call()
            return "ok"
        except BillAlreadyPaid:
            return "already paid"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_many_concurrent_payments_of_one_bill_pay_it_once():
    account = BankAccountFactory(opening_balance=Decimal("1000.00"))
    bill = BillFactory(account=account, amount_due=Decimal("60.00"))

    outcomes = at_once(*[lambda: bill_pay(bill=bill, actor=None)] * THREADS)

    assert sorted(outcomes) == ["already paid"] * (THREADS - 1) + ["ok"]
    assert Transaction.objects.count() == 1
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("940.00")
    assert Bill.objects.filter(previous=bill).count() == 1
    assert ledger_differences() == []


@pytest.mark.parametrize("attempt", range(3))
def test_paying_a_bill_while_a_matching_row_is_written_pays_it_once(attempt):
    """bill_pay (account, then bill) against a ledger write whose follow-ups lock the same
    bill (account, then bills): the same lock order, so no deadlock, and one payment."""
    account = BankAccountFactory(opening_balance=Decimal("1000.00"))
    user = account.user
    bill = BillFactory(account=account, amount_due=Decimal("60.00"), due_date=user.today())

    def card_payment():
        with db_transaction.atomic():
            txn = transaction_create(
                user=user,
                account=account,
                amount=Decimal("-60.00"),
                txn_date=user.today(),
                merchant="City Power",
            )
            transactions_written(user=user, transactions=[txn], accounts=[account])

    outcomes = at_once(lambda: bill_pay(bill=bill, actor=None), card_payment)

    assert outcomes.count("ok") >= 1
    bill.refresh_from_db()
    assert bill.is_paid
    assert Bill.objects.filter(previous=bill).count() == 1
    assert Bill.objects.filter(paid_transaction__isnull=False).count() == 1
    assert ledger_differences() == []


def test_manual_reminders_sent_at_once_go_out_once():
    """The bill's row lock makes concurrent calls take turns: the later ones see the first
    reminder's notification and are refused, so a double tap sends one email."""
    bill = BillFactory()
    start = threading.Barrier(THREADS)

    def send(_):
        start.wait(timeout=30)
        try:
            return len(bill_send_reminder(bill=bill))
        except ValidationError:
            return "too soon"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(send, range(THREADS)))

    assert sorted(outcomes, key=str) == [1] + ["too soon"] * (THREADS - 1)
    assert Notification.objects.count() == 1

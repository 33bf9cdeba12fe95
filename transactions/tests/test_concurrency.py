"""Concurrent payments against one account on PostgreSQL: row locks keep the ledger exact."""

import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from transactions.models import Transaction
from transactions.services import InsufficientFunds, transaction_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


def post_expenses_at_once(account: BankAccount, amount: Decimal) -> list[str]:
    """Start THREADS threads that each post one expense the moment all are ready."""
    start = threading.Barrier(THREADS)

    def pay(_):
        start.wait(timeout=30)
        try:
            transaction_create(
                user=account.user,
                account=account,
                amount=amount,
                txn_date=datetime.date(2025, 6, 1),
                description="concurrent card payment",
            )
            return "ok"
        except InsufficientFunds:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(pay, range(THREADS)))


def test_fifty_concurrent_expenses_end_with_the_exact_balance(capsys):
    account = BankAccountFactory(opening_balance=Decimal("1000.00"))
    outcomes = post_expenses_at_once(BankAccount.objects.get(pk=account.pk), Decimal("-7.33"))
    assert outcomes.count("ok") == THREADS
    account.refresh_from_db()
    assert account.balance == Decimal("1000.00") - THREADS * Decimal("7.33")
    assert Transaction.objects.filter(account=account).count() == THREADS
    call_command("verify_ledger")
    assert "Ledger OK" in capsys.readouterr().out


def test_fifty_concurrent_expenses_never_overdraw(capsys):
    # 1000 / 30 = 33 payments fit; the other 17 must be refused, whatever the interleaving.
    account = BankAccountFactory(opening_balance=Decimal("1000.00"))
    outcomes = post_expenses_at_once(BankAccount.objects.get(pk=account.pk), Decimal("-30.00"))
    assert outcomes.count("ok") == 33
    assert outcomes.count("refused") == THREADS - 33
    account.refresh_from_db()
    assert account.balance == Decimal("10.00")
    assert Transaction.objects.filter(account=account).count() == 33
    call_command("verify_ledger")
    assert "Ledger OK" in capsys.readouterr().out

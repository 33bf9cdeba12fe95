"""Alerts raised by ledger writes (transactions.followups calls the evaluators)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from accounts.tests.factories import BankAccountFactory
from alerts.models import Alert
from transactions.services import transaction_create, transfer_create

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 12, tzinfo=datetime.UTC)
TODAY = datetime.date(2025, 6, 15)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_large_expense_raises_an_alert_and_an_email_after_commit(
    user, django_capture_on_commit_callbacks
):
    account = BankAccountFactory(user=user, opening_balance=Decimal("5000.00"))
    with django_capture_on_commit_callbacks(execute=True):
        txn = transaction_create(
            user=user, account=account, amount=Decimal("-1200.00"), txn_date=TODAY,
            merchant="Laptop Shop",
        )  # fmt: skip
    alert = Alert.objects.get(user=user, alert_type="large_transaction")
    assert alert.key == f"large_transaction:{txn.pk}"
    assert [m.subject for m in mail.outbox] == ["SmartBank: Large transaction: 1,200.00 EUR"]


def test_an_old_large_expense_raises_nothing(user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("5000.00"))
    transaction_create(
        user=user, account=account, amount=Decimal("-1200.00"),
        txn_date=TODAY - datetime.timedelta(days=40),
    )  # fmt: skip
    assert not Alert.objects.filter(alert_type="large_transaction").exists()


def test_a_transfer_that_empties_an_account_raises_low_balance_only(user):
    checking = BankAccountFactory(user=user, opening_balance=Decimal("1500.00"))
    savings = BankAccountFactory(user=user, account_type="savings")
    transfer_create(
        user=user, from_account=checking, to_account=savings, amount=Decimal("1450.00"),
        txn_date=TODAY,
    )  # fmt: skip
    [alert] = Alert.objects.filter(user=user)
    assert alert.alert_type == "low_balance"
    assert alert.key == f"low_balance:{checking.pk}:2025-06-15"
    assert alert.data["balance"] == "50.00"

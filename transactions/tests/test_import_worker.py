"""A statement import run by a real Celery worker, through Redis, not eagerly."""

import datetime
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from smartbank.celery import app as celery_app
from smartbank.testing import preserved_root_logger
from transactions import imports
from transactions.models import ImportBatch, Transaction
from transactions.services import ledger_differences
from transactions.tasks import import_run_task

STATEMENT = (
    b"Date;Description;Amount\n"
    b"01.03.2025;Bakery;-4,20\n"
    b"02.03.2025;Salary;2.500,00\n"
    b"03.03.2025;Rent;-900,00\n"
)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_an_import_through_redis():
    account = BankAccountFactory(
        opening_balance=Decimal("100.00"), opening_date=datetime.date(2025, 1, 1)
    )
    batch = imports.import_create(
        user=account.user, account=account, filename="march.csv", data=STATEMENT
    )
    celery_app.conf.task_always_eager = False
    try:
        with (
            preserved_root_logger(),
            start_worker(celery_app, pool="solo", perform_ping_check=False),
        ):
            assert import_run_task.delay(batch.pk).get(timeout=30) == "done"
            # Delivered twice (a retry, a redelivery after a crash): the batch runs once.
            assert import_run_task.delay(batch.pk).get(timeout=30) == "done"
    finally:
        celery_app.conf.task_always_eager = True

    batch.refresh_from_db()
    assert (batch.status, batch.progress) == (ImportBatch.Status.DONE, 100)
    assert (batch.rows_read, batch.rows_created, batch.rows_rejected) == (3, 3, 0)
    amounts = sorted(
        Transaction.objects.filter(import_batch=batch).values_list("amount", flat=True)
    )
    assert amounts == [Decimal("-900.00"), Decimal("-4.20"), Decimal("2500.00")]
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("1695.80")
    assert ledger_differences() == []

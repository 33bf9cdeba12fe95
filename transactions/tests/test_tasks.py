from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django_celery_beat.models import PeriodicTask

from accounts.models import BankAccount
from smartbank.celery import app as celery_app
from smartbank.testing import preserved_root_logger
from transactions.tasks import verify_ledger_task
from transactions.tests.factories import TransactionFactory


@pytest.mark.django_db
def test_the_ledger_check_is_scheduled_in_the_database():
    task = PeriodicTask.objects.get(name="Nightly ledger check")
    assert task.task == "transactions.tasks.verify_ledger_task"
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("3", "15")


@pytest.mark.django_db
def test_ledger_check_reports_differences(caplog):
    txn = TransactionFactory()
    assert verify_ledger_task.delay().get() == {"checked": 1, "differences": 0}
    BankAccount.objects.filter(pk=txn.account_id).update(balance=Decimal("0.01"))
    assert verify_ledger_task.delay().get() == {"checked": 1, "differences": 1}
    assert f"ledger difference on account {txn.account_id}" in caplog.text


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_ledger_check_through_redis(settings):
    """Through the Redis broker and result store to a worker thread, not eagerly."""
    TransactionFactory()
    celery_app.conf.task_always_eager = False
    try:
        with (
            preserved_root_logger(),
            start_worker(celery_app, pool="solo", perform_ping_check=False),
        ):
            result = verify_ledger_task.delay()
            assert result.get(timeout=30) == {"checked": 1, "differences": 0}
    finally:
        celery_app.conf.task_always_eager = True

"""The bill jobs as Celery tasks, and their schedule in the database (staff can change it)."""

import datetime
from decimal import Decimal

import pytest
from django_celery_beat.models import PeriodicTask

from accounts.tests.factories import BankAccountFactory
from alerts.models import Alert
from bills.tasks import bills_autopay_task, bills_mark_overdue_task, bills_send_reminders_task
from bills.tests.factories import BillFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

D = datetime.date


def test_the_three_jobs_are_scheduled_hourly_in_the_database():
    tasks = {
        task.task: task
        for task in PeriodicTask.objects.filter(task__startswith="bills.tasks.").select_related(
            "crontab"
        )
    }
    assert set(tasks) == {
        "bills.tasks.bills_autopay_task",
        "bills.tasks.bills_mark_overdue_task",
        "bills.tasks.bills_send_reminders_task",
    }
    for task in tasks.values():
        assert task.enabled
        crontab = task.crontab
        # Every hour: each customer's day is handled soon after their own midnight.
        assert (crontab.hour, crontab.day_of_week, crontab.day_of_month) == ("*",) * 3
        assert crontab.month_of_year == "*" and crontab.minute.isdigit()
    # Auto-pay runs first, so a bill it pays is neither reported overdue nor reminded of.
    order = sorted(tasks.values(), key=lambda t: int(t.crontab.minute))
    assert order[0].task == "bills.tasks.bills_autopay_task"


def test_each_task_calls_its_job_and_says_what_it_did(user):
    account = BankAccountFactory(user=user, opening_balance=Decimal("1000.00"))
    BillFactory(account=account, autopay=True, due_date=D(2025, 3, 5), amount_due=Decimal("10"))
    BillFactory(account=account, autopay=True, due_date=D(2025, 3, 4), amount_due=Decimal("2000"))
    BillFactory(user=user, due_date=D(2025, 3, 7))

    assert bills_autopay_task.delay().get() == {"paid": 1, "failed": 1, "errors": 0}
    assert bills_mark_overdue_task.delay().get() == 1
    assert bills_send_reminders_task.delay().get() == 1
    assert sorted(Alert.objects.values_list("alert_type", flat=True)) == [
        "autopay_failed",
        "bill_due_soon",
        "bill_overdue",
    ]

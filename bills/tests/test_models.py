"""Recurrence dates and the derived status, in Python and in SQL."""

import datetime
from decimal import Decimal

import pytest

from bills.models import Bill, BillStatus, Recurrence, next_due_date
from bills.tests.factories import BillFactory
from transactions.tests.factories import TransactionFactory

D = datetime.date


@pytest.mark.parametrize(
    ("recurrence", "start", "expected"),
    [
        (Recurrence.NONE, D(2025, 1, 31), []),
        (Recurrence.WEEKLY, D(2025, 2, 26), [D(2025, 3, 5), D(2025, 3, 12)]),
        # Month-end: the 31st comes back after February, never drifting to the 28th.
        (
            Recurrence.MONTHLY,
            D(2025, 1, 31),
            [D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30), D(2025, 5, 31)],
        ),
        (Recurrence.MONTHLY, D(2024, 1, 30), [D(2024, 2, 29), D(2024, 3, 30)]),
        (Recurrence.MONTHLY, D(2025, 12, 15), [D(2026, 1, 15)]),
        (Recurrence.QUARTERLY, D(2024, 11, 30), [D(2025, 2, 28), D(2025, 5, 30)]),
        (
            Recurrence.YEARLY,
            D(2024, 2, 29),
            [D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29)],
        ),
    ],
)
def test_next_due_dates_keep_the_anchor_day(recurrence, start, expected):
    dates, due = [], start
    for _ in expected or [None]:
        due = next_due_date(due, recurrence, start.day)
        if due is None:
            break
        dates.append(due)
    assert dates == expected


DUE = D(2025, 3, 10)


@pytest.mark.parametrize(
    ("today", "notice_days", "status"),
    [
        (D(2025, 3, 6), 3, BillStatus.UPCOMING),
        (D(2025, 3, 7), 3, BillStatus.DUE),  # the notice period opens
        (D(2025, 3, 10), 3, BillStatus.DUE),  # the due date itself
        (D(2025, 3, 11), 3, BillStatus.OVERDUE),
        (D(2025, 3, 9), 0, BillStatus.UPCOMING),
        (D(2025, 3, 10), 0, BillStatus.DUE),
        (D(2025, 1, 8), 60, BillStatus.UPCOMING),
        (D(2025, 1, 9), 60, BillStatus.DUE),  # across month ends, in SQL too
    ],
)
@pytest.mark.django_db
def test_status_is_the_same_in_python_and_in_sql(today, notice_days, status):
    bill = BillFactory(due_date=DUE, notice_days=notice_days)

    assert bill.status_on(today) == status
    assert Bill.objects.with_status(today).get(pk=bill.pk).status == status
    assert Bill.objects.with_status(today).filter(status=status).count() == 1


@pytest.mark.django_db
def test_a_paid_bill_is_paid_whatever_the_date():
    bill = BillFactory(due_date=DUE)
    payment = TransactionFactory(amount=Decimal("-60.00"), txn_date=D(2025, 3, 1))
    Bill.objects.filter(pk=bill.pk).update(paid_transaction=payment)
    bill.refresh_from_db()

    for today in (D(2025, 1, 1), D(2025, 3, 9), D(2026, 1, 1)):
        assert bill.status_on(today) == BillStatus.PAID
        assert Bill.objects.with_status(today).get(pk=bill.pk).status == BillStatus.PAID


@pytest.mark.django_db
def test_notice_open_by_uses_each_bills_notice():
    early = BillFactory(due_date=D(2025, 3, 20), notice_days=15)  # opens 03-05
    late = BillFactory(due_date=D(2025, 3, 20), notice_days=14)  # opens 03-06

    assert list(Bill.objects.notice_open_by(D(2025, 3, 5))) == [early]
    assert set(Bill.objects.notice_open_by(D(2025, 3, 6))) == {early, late}

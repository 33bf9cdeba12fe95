"""The daily jobs and the manual reminder: each customer's today, once per bill and channel."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from alerts.models import Alert, AlertSubscription, Notification
from bills import services
from bills.models import Bill, Recurrence
from bills.services import (
    bill_pay,
    bill_send_reminder,
    bills_autopay_due,
    bills_mark_overdue,
    bills_send_due_reminders,
)
from bills.tasks import bills_autopay_task, bills_mark_overdue_task, bills_send_reminders_task
from bills.tests.conftest import TODAY
from bills.tests.factories import BillFactory, bill_with_account
from transactions.models import Transaction
from transactions.services import ledger_differences

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_time")]

D = datetime.date


def balance(account) -> Decimal:
    return BankAccount.objects.get(pk=account.pk).balance


def run_jobs_in_order() -> dict:
    return {
        "autopay": bills_autopay_task.delay().get(),
        "overdue": bills_mark_overdue_task.delay().get(),
        "reminders": bills_send_reminders_task.delay().get(),
    }


# --- Reminders ------------------------------------------------------------------------


def test_a_reminder_goes_out_when_the_notice_period_opens(user, django_capture_on_commit_callbacks):
    bill = BillFactory(user=user, due_date=D(2025, 3, 8), notice_days=3)  # opens today
    BillFactory(user=user, due_date=D(2025, 3, 9), notice_days=3)  # opens tomorrow

    with django_capture_on_commit_callbacks(execute=True):
        assert bills_send_due_reminders() == 1

    alert = Alert.objects.get()
    assert (alert.alert_type, alert.key) == ("bill_due_soon", f"bill_due_soon:{bill.pk}")
    assert alert.data["bill_id"] == bill.pk
    assert "City Power" in alert.title
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert Notification.objects.get().status == Notification.Status.SENT


def test_no_reminder_for_paid_overdue_or_later_bills(user):
    paid = bill_with_account(user=user, due_date=D(2025, 3, 6), recurrence=Recurrence.NONE)
    bill_pay(bill=paid, actor=user)
    BillFactory(user=user, due_date=D(2025, 3, 4))  # overdue: the overdue job's business
    BillFactory(user=user, due_date=D(2025, 4, 4))

    assert bills_send_due_reminders() == 0
    assert not Alert.objects.exists()


def test_reminders_follow_each_customers_today():
    # 20:00 UTC on 03-06: already 03-07 in Auckland, still 03-06 in Los Angeles.
    kiwi = UserFactory(time_zone="Pacific/Auckland")
    angeleno = UserFactory(time_zone="America/Los_Angeles")
    bills = {
        user.pk: BillFactory(user=user, due_date=D(2025, 3, 10), notice_days=3)
        for user in (kiwi, angeleno)
    }
    with time_machine.travel(datetime.datetime(2025, 3, 6, 20, tzinfo=datetime.UTC), tick=False):
        assert bills_send_due_reminders() == 1
    assert Alert.objects.get().key == f"bill_due_soon:{bills[kiwi.pk].pk}"

    with time_machine.travel(datetime.datetime(2025, 3, 7, 9, tzinfo=datetime.UTC), tick=False):
        assert bills_send_due_reminders() == 1
    assert Alert.objects.filter(user=angeleno).count() == 1


def test_reminders_go_on_the_channels_the_customer_chose(
    user, sms_outbox, django_capture_on_commit_callbacks
):
    AlertSubscription.objects.create(user=user, alert_type="bill_due_soon", email=False, sms=True)
    BillFactory(user=user, due_date=D(2025, 3, 7))

    with django_capture_on_commit_callbacks(execute=True):
        assert bills_send_due_reminders() == 1

    assert list(Notification.objects.values_list("channel", flat=True)) == ["sms"]
    assert len(sms_outbox) == 1
    assert mail.outbox == []


def test_a_failing_reminder_does_not_stop_the_others(user, monkeypatch):
    first = BillFactory(user=user, due_date=D(2025, 3, 6))
    second = BillFactory(user=user, due_date=D(2025, 3, 7))
    from alerts import services as alert_services

    real_raise = alert_services.alert_raise

    def flaky(**kwargs):
        if kwargs["key"] == f"bill_due_soon:{first.pk}":
            raise RuntimeError("template broke")
        return real_raise(**kwargs)

    monkeypatch.setattr(alert_services, "alert_raise", flaky)

    assert bills_send_due_reminders() == 1
    assert list(Alert.objects.values_list("key", flat=True)) == [f"bill_due_soon:{second.pk}"]


# --- Overdue --------------------------------------------------------------------------


def test_overdue_bills_raise_one_alert_each(user):
    overdue = BillFactory(user=user, due_date=D(2025, 3, 4))
    BillFactory(user=user, due_date=TODAY)  # due today is not overdue
    BillFactory(user=user, due_date=D(2024, 12, 1))  # long past: not recent, no alert

    assert bills_mark_overdue() == 1
    assert bills_mark_overdue() == 0

    alert = Alert.objects.get()
    assert (alert.alert_type, alert.key, alert.severity) == (
        "bill_overdue",
        f"bill_overdue:{overdue.pk}",
        "warning",
    )


def test_overdue_follows_the_customers_today():
    # 10:00 UTC on 03-05 is 03-04 23:00 in Honolulu: a bill due 03-04 is not overdue yet.
    islander = UserFactory(time_zone="Pacific/Honolulu")
    londoner = UserFactory(time_zone="Europe/London")
    for user in (islander, londoner):
        BillFactory(user=user, due_date=D(2025, 3, 4))
    with time_machine.travel(datetime.datetime(2025, 3, 5, 8, tzinfo=datetime.UTC), tick=False):
        assert bills_mark_overdue() == 1
    assert Alert.objects.get().user == londoner


# --- Auto-pay -------------------------------------------------------------------------


def test_autopay_pays_due_and_overdue_bills_and_only_them(user):
    account = BankAccountFactory(user=user)
    today = BillFactory(account=account, autopay=True, due_date=TODAY, amount_due=Decimal("10"))
    late = BillFactory(
        account=account, autopay=True, due_date=D(2025, 3, 1), amount_due=Decimal("20")
    )
    tomorrow = BillFactory(account=account, autopay=True, due_date=D(2025, 3, 6))
    manual = BillFactory(account=account, due_date=TODAY)

    result = bills_autopay_due()

    assert sorted(result.paid) == sorted([today.pk, late.pk])
    assert (result.failed, result.errors) == ((), ())
    assert balance(account) == Decimal("970.00")
    for bill in (tomorrow, manual):
        bill.refresh_from_db()
        assert not bill.is_paid
    assert ledger_differences() == []


def test_insufficient_funds_raises_an_alert_and_the_next_bills_go_on(user):
    poor = BankAccountFactory(user=user, opening_balance=Decimal("5.00"), name="Poor")
    rich = BankAccountFactory(user=user, name="Rich")
    refused = BillFactory(account=poor, autopay=True, due_date=D(2025, 3, 1))
    paid = BillFactory(account=rich, autopay=True, due_date=D(2025, 3, 2))

    result = bills_autopay_due()

    assert (result.paid, result.failed) == ((paid.pk,), (refused.pk,))
    alert = Alert.objects.get(alert_type="autopay_failed")
    assert alert.key == f"autopay_failed:{refused.pk}"
    assert "Insufficient funds" in alert.message
    assert balance(poor) == Decimal("5.00")
    assert balance(rich) == Decimal("940.00")
    # Tried again next run, still refused: no second alert.
    assert bills_autopay_due().failed == (refused.pk,)
    assert Alert.objects.filter(alert_type="autopay_failed").count() == 1


def test_a_bill_without_its_account_any_more_fails_with_an_alert(user):
    account = BankAccountFactory(user=user)
    bill = BillFactory(account=account, autopay=True, due_date=TODAY)
    Bill.objects.filter(pk=bill.pk).update(account=None)  # as after the account's deletion

    assert bills_autopay_due().failed == (bill.pk,)
    assert Alert.objects.get().alert_type == "autopay_failed"


def test_an_unexpected_error_on_one_bill_does_not_stop_the_others(user, monkeypatch):
    account = BankAccountFactory(user=user)
    broken = BillFactory(account=account, autopay=True, due_date=D(2025, 3, 1))
    fine = BillFactory(account=account, autopay=True, due_date=D(2025, 3, 2))
    real_pay = services.bill_pay

    def flaky(*, bill, **kwargs):
        if bill.pk == broken.pk:
            raise RuntimeError("database hiccup")
        return real_pay(bill=bill, **kwargs)

    monkeypatch.setattr(services, "bill_pay", flaky)

    result = bills_autopay_due()

    assert (result.paid, result.failed, result.errors) == ((fine.pk,), (), (broken.pk,))
    assert Transaction.objects.count() == 1


def test_autopay_follows_the_customers_today():
    # 08:00 UTC on 03-05 is still 03-04 in Honolulu.
    islander = BankAccountFactory(user=UserFactory(time_zone="Pacific/Honolulu"))
    londoner = BankAccountFactory(user=UserFactory(time_zone="Europe/London"))
    for account in (islander, londoner):
        BillFactory(account=account, autopay=True, due_date=D(2025, 3, 5))
    with time_machine.travel(datetime.datetime(2025, 3, 5, 8, tzinfo=datetime.UTC), tick=False):
        assert len(bills_autopay_due().paid) == 1
    assert Transaction.objects.get().account == londoner


# --- Every job twice ------------------------------------------------------------------


def test_running_each_job_twice_sends_each_reminder_once_and_pays_each_bill_once(
    django_capture_on_commit_callbacks, sms_outbox
):
    """The issue's must-show, over several customers and bills."""
    ann = UserFactory(full_name="Ann")
    bob = UserFactory(full_name="Bob", time_zone="America/New_York")
    AlertSubscription.objects.create(user=bob, alert_type="bill_due_soon", email=True, sms=True)
    ann_account = BankAccountFactory(user=ann)
    bob_account = BankAccountFactory(user=bob)
    poor = BankAccountFactory(user=bob, name="Poor", opening_balance=Decimal("1.00"))
    autopaid = [
        BillFactory(account=ann_account, autopay=True, due_date=TODAY, amount_due=Decimal("15")),
        BillFactory(account=bob_account, autopay=True, due_date=D(2025, 3, 3), biller="Gas"),
    ]
    refused = BillFactory(account=poor, autopay=True, due_date=D(2025, 3, 4), biller="Phone")
    reminded = [
        BillFactory(user=ann, due_date=D(2025, 3, 7), biller="Water"),
        BillFactory(user=bob, due_date=D(2025, 3, 6), biller="Internet"),
    ]
    overdue = BillFactory(user=ann, due_date=D(2025, 3, 2), biller="Council tax")

    with django_capture_on_commit_callbacks(execute=True):
        first = run_jobs_in_order()
    with django_capture_on_commit_callbacks(execute=True):
        second = run_jobs_in_order()

    assert first == {"autopay": {"paid": 2, "failed": 1, "errors": 0}, "overdue": 2, "reminders": 2}
    # Again: nothing new is paid; the refused bill is tried again and refused again.
    assert second == {
        "autopay": {"paid": 0, "failed": 1, "errors": 0},
        "overdue": 0,
        "reminders": 0,
    }

    payments = Transaction.objects.order_by("pk")
    assert [t.amount for t in payments] == [Decimal("-60.00"), Decimal("-15.00")]
    assert balance(ann_account) == Decimal("985.00")
    assert balance(bob_account) == Decimal("940.00")
    assert balance(poor) == Decimal("1.00")
    for bill in autopaid:
        bill.refresh_from_db()
        assert bill.is_paid
        assert Bill.objects.filter(previous=bill).count() == 1

    keys = set(Alert.objects.values_list("key", flat=True))
    assert keys == {
        f"autopay_failed:{refused.pk}",
        f"bill_overdue:{refused.pk}",
        f"bill_overdue:{overdue.pk}",
        *(f"bill_due_soon:{bill.pk}" for bill in reminded),
    }
    # One message per alert and channel: five alerts by email, Bob's reminder by SMS too.
    assert Notification.objects.count() == 5 + 1
    assert Notification.objects.exclude(status=Notification.Status.SENT).count() == 0
    assert len(mail.outbox) == 5
    assert len(sms_outbox) == 1
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(set(subjects)) == len(subjects)
    assert ledger_differences() == []


# --- The manual reminder --------------------------------------------------------------


def test_send_reminder_now_renders_the_bill_reminder_email(
    user, frozen_time, django_capture_on_commit_callbacks
):
    bill = BillFactory(user=user, due_date=D(2025, 3, 20), biller="Water Co")

    with django_capture_on_commit_callbacks(execute=True):
        queued = bill_send_reminder(bill=bill)

    assert [n.channel for n in queued] == ["email"]
    assert queued[0].key.startswith(f"bill_reminder:{bill.pk}:manual:")
    message = mail.outbox[0]
    assert "Water Co" in message.subject
    assert "60.00 EUR" in message.body
    assert message.alternatives and "Water Co" in message.alternatives[0][0]
    # Sending again once the interval has passed is another reminder, under its own key.
    frozen_time.shift(services.BILL_REMINDER_MIN_INTERVAL)
    with django_capture_on_commit_callbacks(execute=True):
        (again,) = bill_send_reminder(bill=bill)
    assert again.key != queued[0].key
    assert len(mail.outbox) == 2


def test_send_reminder_again_too_soon_is_refused(user, frozen_time):
    bill = BillFactory(user=user)
    bill_send_reminder(bill=bill)
    frozen_time.shift(services.BILL_REMINDER_MIN_INTERVAL - datetime.timedelta(seconds=1))

    with pytest.raises(ValidationError) as caught:
        bill_send_reminder(bill=bill)

    assert "from 12:10 on 2025-03-05 (Europe/London)" in caught.value.message_dict["detail"][0]
    assert Notification.objects.count() == 1


def test_send_reminder_with_every_channel_off_is_refused(user):
    AlertSubscription.objects.create(
        user=user, alert_type="bill_due_soon", in_app=True, email=False, sms=False
    )
    with pytest.raises(ValidationError, match="turned off in your alert preferences"):
        bill_send_reminder(bill=BillFactory(user=user))
    assert not Notification.objects.exists()


def test_send_reminder_of_a_paid_bill_is_refused(user):
    bill = bill_with_account(user=user)
    bill_pay(bill=bill, actor=user)
    with pytest.raises(ValidationError):
        bill_send_reminder(bill=bill)
    assert not Notification.objects.exists()

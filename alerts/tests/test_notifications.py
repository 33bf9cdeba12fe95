"""Queueing and delivering notifications: once per (key, channel), retried, never blocking."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend

from accounts.models import AuditLog
from accounts.tests.factories import UserFactory
from alerts.models import Notification
from alerts.notifications import (
    NotificationSendError,
    notification_deliver,
    notifications_queue,
    notifications_resend,
    render_email,
)
from alerts.sms import ConsoleSmsBackend, SmsMessage
from alerts.tasks import notification_deliver_task, retry_countdown
from alerts.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


class BrokenEmailBackend(LocmemEmailBackend):
    """An SMTP server that is down."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp.example.com refused the connection")


class BrokenSmsBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise TimeoutError("the SMS gateway timed out")


def reminder(**overrides):
    bill = SimpleNamespace(
        biller="City Power & Light",
        amount_due=Decimal("84.20"),
        currency="EUR",
        due_date=datetime.date(2025, 3, 14),
        autopay=False,
        account=None,
    )
    for name, value in overrides.items():
        setattr(bill, name, value)
    return bill


def queue_reminder(user, key="bill_reminder:7:2025-03-14", channels=("email", "sms")):
    subject, text, html = render_email("bill_reminder", {"user": user, "bill": reminder()})
    return notifications_queue(
        user=user,
        key=key,
        subject=subject,
        text=text,
        html=html,
        channels=list(channels),
        sms_text="SmartBank: City Power & Light, 84.20 EUR, is due on 14 March.",
    )


# --- Rendering ------------------------------------------------------------------------


def test_reminder_email_is_rendered_from_the_templates(user):
    subject, text, html = render_email("bill_reminder", {"user": user, "bill": reminder()})
    assert subject == "SmartBank: City Power & Light is due on 14 March 2025"
    assert "Your bill from City Power & Light is due on Friday 14 March 2025." in text
    assert "Amount due: 84.20 EUR" in text
    assert "&amp;" not in text  # the text part is not HTML-escaped
    assert f"Hello {user.full_name}," in text
    assert "City Power &amp; Light" in html  # the HTML part is
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "84.20 EUR" in html


@pytest.mark.parametrize(
    ("days_left", "text_says", "html_says"),
    [
        (3, "14 March 2025, in 3 days.", "That is in 3 days."),
        (1, "14 March 2025, tomorrow.", "That is tomorrow."),
        (0, "14 March 2025, today.", "That is today."),
        (-2, "was due on Friday 14 March 2025 and is overdue.", "It is overdue."),
    ],
)
def test_reminder_says_when_and_takes_a_formatted_amount(user, days_left, text_says, html_says):
    context = {"user": user, "bill": reminder(), "amount": "1,084.20 EUR", "days_left": days_left}
    _, text, html = render_email("bill_reminder", context)
    assert text_says in text and html_says in html
    assert "Amount due: 1,084.20 EUR" in text and "1,084.20 EUR" in html


def test_reminder_for_an_autopay_bill_says_so(user):
    bill = reminder(autopay=True, account=SimpleNamespace(name="Everyday"))
    _, text, html = render_email("bill_reminder", {"user": user, "bill": bill})
    assert "paid automatically from Everyday" in text
    assert "paid automatically from Everyday" in html


def test_the_alert_email_escapes_html_in_the_html_part_only(user):
    alert = SimpleNamespace(title="Spent <b>a lot</b>", message="At A & B", severity="warning")
    subject, text, html = render_email("alert", {"user": user, "alert": alert})
    assert subject == "SmartBank: Spent <b>a lot</b>"
    assert "At A & B" in text
    assert "Spent &lt;b&gt;a lot&lt;/b&gt;" in html and "At A &amp; B" in html


# --- Queueing -------------------------------------------------------------------------


def test_one_notification_per_key_and_channel(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = queue_reminder(user)
        second = queue_reminder(user)
    assert [n.channel for n in first] == ["email", "sms"]
    assert second == []
    assert Notification.objects.count() == 2
    assert len(callbacks) == 1  # delivery is queued for the new rows only


def test_queueing_waits_for_the_commit(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue_reminder(user)
    assert len(callbacks) == 1
    assert mail.outbox == []
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}


def test_email_has_text_and_html_and_sms_its_own_text(
    user, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_reminder(user)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [user.email]
    assert email.from_email == "SmartBank <no-reply@smartbank.local>"
    assert email.subject == "SmartBank: City Power & Light is due on 14 March 2025"
    assert "Amount due: 84.20 EUR" in email.body
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html" and "<table" in html
    assert sms_outbox == [
        SmsMessage(user.phone, "SmartBank: City Power & Light, 84.20 EUR, is due on 14 March.")
    ]
    for notification in Notification.objects.all():
        assert notification.status == "sent" and notification.attempts == 1
        assert notification.sent_at is not None and notification.last_error == ""


def test_the_console_sms_backend_prints(capsys):
    ConsoleSmsBackend().send_messages([SmsMessage("+44 20 7946 0000", "Hello")])
    assert "SMS to +44 20 7946 0000\nHello" in capsys.readouterr().out


def test_the_configured_sms_backend_is_used(settings, user, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "alerts.sms.ConsoleSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        queue_reminder(user, channels=["sms"])
    assert Notification.objects.get().status == "sent"


# --- Delivery -------------------------------------------------------------------------


def test_a_sent_notification_is_not_sent_twice(user):
    notification = NotificationFactory(user=user)
    assert notification_deliver(notification_id=notification.pk).status == "sent"
    assert notification_deliver(notification_id=notification.pk).status == "sent"
    assert notification_deliver_task.delay(notification.pk).get() == "sent"
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=notification.pk).attempts == 1


def test_a_failure_records_the_attempt_and_raises(settings, user):
    settings.EMAIL_BACKEND = "alerts.tests.test_notifications.BrokenEmailBackend"
    notification = NotificationFactory(user=user)

    with pytest.raises(NotificationSendError, match="refused the connection"):
        notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == "pending" and notification.attempts == 1
    assert notification.last_error == (
        "ConnectionRefusedError: smtp.example.com refused the connection"
    )

    with pytest.raises(NotificationSendError):
        notification_deliver(notification_id=notification.pk, final_attempt=True)
    notification.refresh_from_db()
    assert notification.status == "failed" and notification.attempts == 2


def test_retries_back_off_exponentially_up_to_a_cap(settings):
    settings.NOTIFICATION_RETRY_BACKOFF = 30
    settings.NOTIFICATION_RETRY_BACKOFF_MAX = 600
    assert [retry_countdown(n) for n in range(7)] == [30, 60, 120, 240, 480, 600, 600]


def test_the_task_retries_then_marks_the_notification_failed(settings, user):
    """Eager Celery (the embedded default, tests) runs the retries at once, in the call."""
    settings.EMAIL_BACKEND = "alerts.tests.test_notifications.BrokenEmailBackend"
    settings.NOTIFICATION_MAX_RETRIES = 5
    notification = NotificationFactory(user=user)

    assert notification_deliver_task.delay(notification.pk).get() == "failed"

    notification.refresh_from_db()
    assert notification.status == "failed"
    assert notification.attempts == 6  # the first try and five retries
    assert "refused the connection" in notification.last_error
    assert mail.outbox == []


@pytest.mark.parametrize(("retries", "countdown"), [(0, 30), (1, 60), (3, 240), (4, 480)])
def test_on_a_worker_a_failure_asks_the_broker_for_a_later_retry(
    settings, user, monkeypatch, retries, countdown
):
    settings.EMAIL_BACKEND = "alerts.tests.test_notifications.BrokenEmailBackend"
    settings.NOTIFICATION_MAX_RETRIES = 5
    asked = {}

    def retry(**kwargs):
        asked.update(kwargs)
        return Retry(exc=kwargs["exc"], when=kwargs["countdown"])

    monkeypatch.setattr(notification_deliver_task, "retry", retry)
    notification = NotificationFactory(user=user)
    notification_deliver_task.push_request(retries=retries, is_eager=False)
    try:
        with pytest.raises(Retry):
            notification_deliver_task.run(notification.pk)
    finally:
        notification_deliver_task.pop_request()

    assert asked["countdown"] == countdown and asked["max_retries"] == 5
    assert isinstance(asked["exc"], NotificationSendError)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 1)


def test_on_a_worker_the_last_retry_marks_it_failed(settings, user):
    settings.EMAIL_BACKEND = "alerts.tests.test_notifications.BrokenEmailBackend"
    settings.NOTIFICATION_MAX_RETRIES = 5
    notification = NotificationFactory(user=user, attempts=5)
    notification_deliver_task.push_request(retries=5, is_eager=False)
    try:
        assert notification_deliver_task.run(notification.pk) == "failed"
    finally:
        notification_deliver_task.pop_request()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", 6)


def test_a_failing_email_does_not_stop_the_sms(
    settings, user, sms_outbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "alerts.tests.test_notifications.BrokenEmailBackend"
    settings.NOTIFICATION_MAX_RETRIES = 2
    with django_capture_on_commit_callbacks(execute=True):
        queue_reminder(user)

    email = Notification.objects.get(channel="email")
    assert (email.status, email.attempts) == ("failed", 3)
    assert email.last_error.startswith("ConnectionRefusedError")
    sms = Notification.objects.get(channel="sms")
    assert (sms.status, sms.attempts) == ("sent", 1)
    assert len(sms_outbox) == 1


def test_a_failing_sms_does_not_stop_the_email(settings, user, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "alerts.tests.test_notifications.BrokenSmsBackend"
    settings.NOTIFICATION_MAX_RETRIES = 1
    with django_capture_on_commit_callbacks(execute=True):
        queue_reminder(user)
    sms = Notification.objects.get(channel="sms")
    assert (sms.status, sms.attempts) == ("failed", 2)
    assert sms.last_error == "TimeoutError: the SMS gateway timed out"
    assert Notification.objects.get(channel="email").status == "sent"
    assert len(mail.outbox) == 1


def test_a_recovered_channel_sends_on_retry(settings, user, monkeypatch):
    calls = []
    send = LocmemEmailBackend.send_messages

    def flaky_send(self, messages):
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionResetError("connection reset")
        return send(self, messages)

    monkeypatch.setattr(LocmemEmailBackend, "send_messages", flaky_send)
    notification = NotificationFactory(user=user)

    assert notification_deliver_task.delay(notification.pk).get() == "sent"

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 3)
    assert len(mail.outbox) == 1


def test_a_missing_notification_is_not_an_error(db):
    assert notification_deliver_task.delay(999999).get() == "missing"


def test_no_recipient_fails_at_once_without_retry(user):
    notification = NotificationFactory(user=user, channel="sms", recipient="")
    assert notification_deliver_task.delay(notification.pk).get() == "failed"
    notification.refresh_from_db()
    assert notification.attempts == 1 and "no phone number" in notification.last_error


# --- Resending ------------------------------------------------------------------------


def test_resend_queues_failed_ones_again_with_the_current_recipient(
    staff, sms_outbox, django_capture_on_commit_callbacks
):
    user = UserFactory(phone="")
    failed = NotificationFactory(
        user=user, channel="sms", recipient="", status="failed", attempts=6, last_error="x"
    )
    sent = NotificationFactory(user=user, status="sent")
    user.phone = "+33 1 23 45 67 89"
    user.save()

    with django_capture_on_commit_callbacks(execute=True):
        count = notifications_resend(
            notifications=Notification.objects.all(), actor=staff["support"]
        )

    assert count == 1
    failed.refresh_from_db()
    assert (failed.status, failed.recipient, failed.attempts) == ("sent", "+33 1 23 45 67 89", 1)
    assert failed.last_error == ""
    assert Notification.objects.get(pk=sent.pk).attempts == 0
    assert [m.to for m in sms_outbox] == ["+33 1 23 45 67 89"]
    assert AuditLog.objects.filter(
        action="notification.resend", target_id=str(failed.pk), actor=staff["support"]
    ).exists()

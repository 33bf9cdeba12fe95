"""A bill reminder through a real SMTP server on 127.0.0.1 (aiosmtpd), read back and parsed."""

import datetime
import email
import socket
from decimal import Decimal
from email.policy import default as default_policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller

from alerts.models import Notification
from alerts.notifications import (
    NotificationSendError,
    notification_deliver,
    notifications_queue,
    render_email,
)

pytestmark = pytest.mark.django_db


class CollectingHandler:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()


def test_a_reminder_goes_through_smtp_and_reads_back(smtp_server, user):
    bill = SimpleNamespace(
        biller="Énergie & Gaz",
        amount_due=Decimal("84.20"),
        currency="EUR",
        due_date=datetime.date(2025, 3, 14),
        autopay=False,
        account=None,
    )
    subject, text, html = render_email("bill_reminder", {"user": user, "bill": bill})
    [queued] = notifications_queue(
        user=user,
        key="bill_reminder:42:manual:smtp-test",
        subject=subject,
        text=text,
        html=html,
        channels=["email"],
    )

    notification = notification_deliver(notification_id=queued.pk)

    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 1 and notification.last_error == ""
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [user.email]
    assert envelope.mail_from == "no-reply@smartbank.local"

    message = email.message_from_bytes(envelope.original_content, policy=default_policy)
    assert message["Subject"] == "SmartBank: Énergie & Gaz is due on 14 March 2025"
    assert message["To"] == user.email
    assert message["From"] == "SmartBank <no-reply@smartbank.local>"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    assert "Your bill from Énergie & Gaz is due on Friday 14 March 2025." in plain.get_content()
    assert "Amount due: 84.20 EUR" in plain.get_content()
    assert "<h1" in rich.get_content() and "Énergie &amp; Gaz" in rich.get_content()

    # Delivered again (a redelivered task): nothing more goes out.
    notification_deliver(notification_id=queued.pk)
    assert len(smtp_server.envelopes) == 1


def test_a_refusing_smtp_server_is_recorded_for_retry(settings, user):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens there
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    [queued] = notifications_queue(
        user=user, key="smtp-down", subject="Hi", text="Hello", channels=["email"]
    )
    with pytest.raises(NotificationSendError):
        notification_deliver(notification_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == "pending" and queued.attempts == 1
    assert "ConnectionRefusedError" in queued.last_error

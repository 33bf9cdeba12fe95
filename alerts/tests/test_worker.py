"""Notification retries through Redis and a real worker, not eagerly."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend

from alerts.models import Notification
from alerts.tasks import notification_deliver_task
from alerts.tests.factories import NotificationFactory
from smartbank.celery import app as celery_app
from smartbank.testing import preserved_root_logger

FAILURES_BEFORE_SUCCESS = 2
attempts: list[int] = []


class FlakyEmailBackend(LocmemEmailBackend):
    """Refuses the first two sends, then delivers to django.core.mail.outbox."""

    def send_messages(self, messages):
        attempts.append(1)
        if len(attempts) <= FAILURES_BEFORE_SUCCESS:
            raise ConnectionRefusedError("smtp.example.com is restarting")
        return super().send_messages(messages)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_retries_a_failing_channel_with_backoff(settings):
    settings.EMAIL_BACKEND = "alerts.tests.test_worker.FlakyEmailBackend"
    settings.NOTIFICATION_RETRY_BACKOFF = 1  # 1 s, then 2 s
    attempts.clear()
    notification = NotificationFactory()
    celery_app.conf.task_always_eager = False
    try:
        with (
            preserved_root_logger(),
            start_worker(celery_app, pool="solo", perform_ping_check=False),
        ):
            result = notification_deliver_task.delay(notification.pk)
            assert result.get(timeout=60) == "sent"
    finally:
        celery_app.conf.task_always_eager = True

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 3)
    assert len(attempts) == 3
    assert len(mail.outbox) == 1
    assert Notification.objects.count() == 1

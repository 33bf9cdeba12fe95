"""Celery tasks for alerts: thin, they take ids and call a service.

``notification_deliver_task`` is one channel of one notification, so a failing channel is
retried on its own and never holds up another. Retries back off exponentially
(NOTIFICATION_RETRY_BACKOFF, doubled each time, capped at NOTIFICATION_RETRY_BACKOFF_MAX);
after NOTIFICATION_MAX_RETRIES the service marks the row failed with its last error.
"""

import logging

from celery import shared_task
from django.conf import settings

from alerts.models import Notification
from alerts.notifications import NotificationSendError, notification_deliver

logger = logging.getLogger(__name__)


def retry_countdown(retries: int) -> int:
    """Seconds before retry number ``retries + 1``: base * 2**retries, capped."""
    base = settings.NOTIFICATION_RETRY_BACKOFF
    return min(settings.NOTIFICATION_RETRY_BACKOFF_MAX, base * 2**retries)


@shared_task(bind=True, acks_late=True)
def notification_deliver_task(self, notification_id: int) -> str:
    """Send one notification; safe to run twice (a sent row is not sent again).

    On a worker a failure is retried through the broker after ``retry_countdown``. Run
    eagerly (the embedded default, tests) there is no broker to wait on, so the retries run
    at once, in this call; either way the last one marks the row failed.
    """
    max_retries = settings.NOTIFICATION_MAX_RETRIES
    retries = self.request.retries or 0
    while True:
        final_attempt = retries >= max_retries
        try:
            notification = notification_deliver(
                notification_id=notification_id, final_attempt=final_attempt
            )
        except Notification.DoesNotExist:
            logger.warning("notification %s no longer exists; nothing to send", notification_id)
            return "missing"
        except NotificationSendError as exc:
            if final_attempt:
                return Notification.Status.FAILED
            if self.request.is_eager:
                retries += 1
                continue
            raise self.retry(
                exc=exc, countdown=retry_countdown(retries), max_retries=max_retries
            ) from exc
        return notification.status


@shared_task(acks_late=True)
def low_balances_check_task() -> int:
    """The daily low-balance check over every active account; returns alerts raised."""
    from alerts.evaluators import low_balances_check_all

    return low_balances_check_all()

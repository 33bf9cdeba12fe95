"""Notifications: one message on one channel (email or SMS), queued once and sent once.

Queueing (``notifications_queue``) creates one row per channel unless that (key, channel)
exists already: the unique constraint, not a check, is what keeps a reminder from going
out twice however often a job runs. Each new row gets its own delivery task after the
database transaction commits, so one channel failing never holds up another.

Delivery (``notification_deliver``) locks the row, sends, and marks it sent; a sent (or
failed) row is left alone, so a task delivered twice sends once. A send that fails records
the attempt and the error, then raises ``NotificationSendError`` so the task retries with
backoff; the last attempt marks the row failed.

Recipients: the user's email for email, the user's phone for SMS. A user without a phone
(or email) still gets the row, created ``failed`` with last_error saying why, so staff see
what was not sent and can resend it from the admin once the customer adds one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction as db_transaction
from django.db.models import F, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from accounts.services import audit_record
from alerts.models import Channel, Notification
from alerts.sms import SmsMessage, get_sms_backend
from smartbank.bulk import chunked

logger = logging.getLogger(__name__)

EMAIL_TEMPLATE_DIR = "alerts/email"
_ERROR_MAX_LENGTH = 2000
SUBJECT_MAX_LENGTH = 255

NO_RECIPIENT_ERRORS = {
    Channel.EMAIL: "The customer has no email address.",
    Channel.SMS: "The customer has no phone number; add one to their profile, then resend.",
}


class NotificationSendError(Exception):
    """A channel failed to send; the delivery task retries it."""


# --- Rendering ------------------------------------------------------------------------


def render_email(template_name: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of an email from ``templates/alerts/email/``.

    ``template_name`` is the bare name, e.g. "alert" or "bill_reminder": the subject comes
    from ``<name>_subject.txt`` (whitespace collapsed to one line), the bodies from
    ``<name>.txt`` and ``<name>.html`` (both extend the base layout).
    """
    context = dict(context)
    context.setdefault("site_name", "SmartBank")
    prefix = f"{EMAIL_TEMPLATE_DIR}/{template_name}"
    subject = " ".join(render_to_string(f"{prefix}_subject.txt", context).split())
    text = render_to_string(f"{prefix}.txt", context).strip() + "\n"
    html = render_to_string(f"{prefix}.html", context)
    return subject[:SUBJECT_MAX_LENGTH], text, html


# --- Queueing -------------------------------------------------------------------------


def recipient_for(user: User, channel: str) -> str:
    if channel == Channel.EMAIL:
        return user.email or ""
    if channel == Channel.SMS:
        return user.phone or ""
    raise ValueError(f"Unknown notification channel {channel!r}.")


def build_notifications(
    *,
    user: User,
    key: str,
    channels: list[str],
    subject: str,
    text: str,
    html: str = "",
    sms_text: str = "",
    alert=None,
) -> list[Notification]:
    """Unsaved Notifications under ``key``, one per channel, each with its recipient (or why
    it has none). ``sms_text``, when given, is the SMS body instead of ``text``; a text
    message has no HTML part."""
    notifications = []
    for channel in dict.fromkeys(channels):
        recipient = recipient_for(user, channel)
        is_sms = channel == Channel.SMS
        notification = Notification(
            user=user,
            alert=alert,
            channel=channel,
            key=key,
            recipient=recipient,
            subject=subject[:SUBJECT_MAX_LENGTH],
            body_text=(sms_text or text) if is_sms else text,
            body_html="" if is_sms else html,
        )
        if not recipient:
            notification.status = Notification.Status.FAILED
            notification.last_error = NO_RECIPIENT_ERRORS[channel]
        notifications.append(notification)
    return notifications


def notifications_create(candidates: list[Notification]) -> list[Notification]:
    """Insert the candidates whose (key, channel) is new; return the new rows, saved.

    A fixed number of queries per 500 keys, however many candidates: one to read the
    existing (key, channel) pairs, a bulk insert that ignores conflicts (a concurrent writer
    that got there first keeps its row), one to read back the ids. Queues a delivery task
    for each new pending row once the database transaction commits.
    """
    wanted: dict[tuple[str, str], Notification] = {}
    for candidate in candidates:
        wanted.setdefault((candidate.key, candidate.channel), candidate)
    if not wanted:
        return []
    keys = sorted({key for key, _ in wanted})
    existing: set[tuple[str, str]] = set()
    for chunk in chunked(keys):
        existing.update(
            Notification.objects.filter(key__in=chunk).order_by().values_list("key", "channel")
        )
    new = {pair: row for pair, row in wanted.items() if pair not in existing}
    if not new:
        return []
    Notification.objects.bulk_create(list(new.values()), ignore_conflicts=True, batch_size=500)
    created: list[Notification] = []
    new_keys = sorted({key for key, _ in new})
    for chunk in chunked(new_keys):
        for row in Notification.objects.filter(key__in=chunk).order_by("pk"):
            if (row.key, row.channel) in new:
                created.append(row)
    pending = [row.pk for row in created if row.status == Notification.Status.PENDING]
    if pending:
        db_transaction.on_commit(lambda: _queue_delivery(pending))
    return created


def _queue_delivery(notification_ids: list[int]) -> None:
    from alerts.tasks import notification_deliver_task

    for notification_id in notification_ids:
        notification_deliver_task.delay(notification_id)


@db_transaction.atomic
def notifications_queue(
    *,
    user: User,
    key: str,
    subject: str,
    text: str,
    html: str = "",
    channels: list[str],
    alert=None,
    sms_text: str = "",
) -> list[Notification]:
    """Queue one message per channel under ``key``; a (key, channel) that exists is skipped.

    Returns the notifications created by this call (none when all existed: safe to repeat).
    Each new one is sent by its own ``notification_deliver_task`` after the database
    transaction commits. ``sms_text``, when given, is the SMS body instead of ``text``
    (an email body is long for a text message). A channel without a recipient is stored
    as failed (see the module docstring).
    """
    return notifications_create(
        build_notifications(
            user=user,
            key=key,
            channels=channels,
            subject=subject,
            text=text,
            html=html,
            sms_text=sms_text,
            alert=alert,
        )
    )


# --- Delivery -------------------------------------------------------------------------


def _send_email(notification: Notification) -> None:
    message = EmailMultiAlternatives(
        notification.subject,
        notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    if message.send(fail_silently=False) != 1:
        raise NotificationSendError("The email backend sent nothing.")


def _send_sms(notification: Notification) -> None:
    backend = get_sms_backend(fail_silently=False)
    sent = backend.send_messages([SmsMessage(notification.recipient, notification.body_text)])
    if sent != 1:
        raise NotificationSendError("The SMS backend sent nothing.")


_SENDERS = {Channel.EMAIL: _send_email, Channel.SMS: _send_sms}


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text[:_ERROR_MAX_LENGTH]


def notification_deliver(*, notification_id: int, final_attempt: bool = False) -> Notification:
    """Send one pending notification, once.

    The row is locked for the send, so two workers never send it together, and only a
    ``pending`` row is sent: a sent or failed one is returned as it is (a task delivered
    twice sends once). Success: status sent, sent_at, attempts + 1. Failure: attempts + 1
    and last_error are committed (this function's own short database transaction; call it
    outside one, as the task does), the status becomes failed when ``final_attempt``, and
    ``NotificationSendError`` is raised so the caller can retry. A row with no recipient
    fails at once, without a retry. Raises Notification.DoesNotExist for an unknown id.
    """
    error: BaseException | None = None
    with db_transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id)
        if notification.status != Notification.Status.PENDING:
            return notification
        update: dict[str, Any] = {"attempts": F("attempts") + 1}
        if not notification.recipient:
            update |= {
                "status": Notification.Status.FAILED,
                "last_error": NO_RECIPIENT_ERRORS[notification.channel],
            }
        else:
            try:
                _SENDERS[notification.channel](notification)
            except Exception as exc:  # any backend failure is retried
                error = exc
                update["last_error"] = _error_text(exc)
                if final_attempt:
                    update["status"] = Notification.Status.FAILED
            else:
                update |= {
                    "status": Notification.Status.SENT,
                    "sent_at": timezone.now(),
                    "last_error": "",
                }
        Notification.objects.filter(pk=notification.pk).update(**update)
        notification.refresh_from_db()
    if error is not None:
        logger.warning(
            "notification %s (%s) failed on attempt %s%s: %s",
            notification.pk,
            notification.channel,
            notification.attempts,
            ", giving up" if final_attempt else "",
            notification.last_error,
            extra={"notification_id": notification.pk},
        )
        raise NotificationSendError(notification.last_error) from error
    return notification


@db_transaction.atomic
def notifications_resend(*, notifications: QuerySet[Notification], actor: User | None) -> int:
    """Queue failed notifications again; returns how many.

    Only failed rows are touched (a sent one is never sent twice). The recipient is read
    from the customer again, so one who has since added a phone number gets the SMS;
    attempts start from 0 and each resend is written to the audit log.
    """
    rows = list(
        notifications.filter(status=Notification.Status.FAILED)
        .select_for_update()
        .select_related("user")
        .order_by("pk")
    )
    queued: list[int] = []
    for notification in rows:
        recipient = recipient_for(notification.user, notification.channel)
        status = Notification.Status.PENDING if recipient else Notification.Status.FAILED
        error = "" if recipient else NO_RECIPIENT_ERRORS[notification.channel]
        Notification.objects.filter(pk=notification.pk).update(
            status=status, recipient=recipient, attempts=0, last_error=error
        )
        audit_record(
            actor=actor,
            action="notification.resend",
            target=notification,
            changes={"status": (notification.status, status)},
        )
        if recipient:
            queued.append(notification.pk)
    if queued:
        db_transaction.on_commit(lambda: _queue_delivery(queued))
    return len(queued)

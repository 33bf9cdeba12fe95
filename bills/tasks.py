"""The daily bill jobs, scheduled by celery beat (bills/migrations/0002_*).

Thin: each calls its service, which is safe to run twice (see bills.services).
"""

from celery import shared_task

from bills.services import bills_autopay_due, bills_mark_overdue, bills_send_due_reminders


@shared_task(acks_late=True)
def bills_autopay_task() -> dict[str, int]:
    """Pay the auto-pay bills due today or overdue; a refused payment raises an alert."""
    return bills_autopay_due().as_dict()


@shared_task(acks_late=True)
def bills_mark_overdue_task() -> int:
    """Raise an overdue alert, once, for each unpaid bill past its due date."""
    return bills_mark_overdue()


@shared_task(acks_late=True)
def bills_send_reminders_task() -> int:
    """Remind customers of bills in their notice period, once per bill and channel."""
    return bills_send_due_reminders()

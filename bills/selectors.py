"""Reads of bills, always scoped to one customer."""

import datetime

from django.db.models import QuerySet

from accounts.models import User
from bills.models import Bill


def bill_list(*, user: User, today: datetime.date | None = None) -> QuerySet[Bill]:
    """The user's bills, soonest due first, each with ``status`` as of the user's today.

    The category and the next occurrence are joined, so a page of bills is one query.
    """
    return (
        Bill.objects.for_user(user)
        .with_status(today or user.today())
        .select_related("category", "next_occurrence")
        .order_by("due_date", "id")
    )

"""The one rule for which calendar dates SmartBank accepts, and month arithmetic."""

import calendar
import datetime

from django.core.exceptions import ValidationError

# Older dates are typos (0001-01-01, or 19-03-2025 read as year 19), not history anyone
# keeps in a bank app.
EARLIEST_DATE = datetime.date(1900, 1, 1)
# A payment scheduled a year ahead is plausible; further out is a mistyped year.
BOOKING_DAYS_AHEAD = 366


def check_date_range(
    value: datetime.date, *, field: str, today: datetime.date, days_ahead: int, label: str = "date"
) -> None:
    """Refuse a date before EARLIEST_DATE or more than days_ahead after the user's today."""
    if value < EARLIEST_DATE:
        raise ValidationError(
            {field: f"Dates before {EARLIEST_DATE.isoformat()} are not accepted."}
        )
    latest = today + datetime.timedelta(days=days_ahead)
    if value > latest:
        if days_ahead == 0:
            message = f"The {label} cannot be in the future."
        else:
            message = (
                f"Dates more than {days_ahead} days ahead (after {latest.isoformat()}) "
                "are not accepted."
            )
        raise ValidationError({field: message})


def add_months(
    day: datetime.date, months: int, *, day_of_month: int | None = None
) -> datetime.date:
    """``day`` moved by ``months`` (negative goes back), on ``day_of_month`` (default: its own
    day) where the month has it, else on the month's last day: Jan 31 + 1 -> Feb 28 (29)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    month += 1
    wanted = day.day if day_of_month is None else day_of_month
    return datetime.date(year, month, min(wanted, calendar.monthrange(year, month)[1]))

"""The one rule for which calendar dates SmartBank accepts."""

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

"""Bills: what a customer owes, when, and the transaction that paid it.

A bill's status (upcoming, due, paid, overdue) is derived from its dates and its payment,
never stored, so it cannot go stale: ``Bill.status_on(today)`` for one bill,
``BillQuerySet.with_status(today)`` for the same rule in SQL (so ``?status=`` filters in
the database). Every write goes through bills.services.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.lookups import LessThanOrEqual

from smartbank.dates import add_months
from smartbank.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS, validate_currency_code

NOTICE_DAYS_DEFAULT = 3
NOTICE_DAYS_MAX = 60


class Recurrence(models.TextChoices):
    NONE = "none", "Once"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


class BillStatus(models.TextChoices):
    UPCOMING = "upcoming", "Upcoming"
    DUE = "due", "Due"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"


_MONTHS_BETWEEN = {Recurrence.MONTHLY: 1, Recurrence.QUARTERLY: 3, Recurrence.YEARLY: 12}


def next_due_date(
    due_date: datetime.date, recurrence: str, anchor_day: int
) -> datetime.date | None:
    """The due date of the occurrence after one due on ``due_date``, or None for a one-off.

    Months keep the series' anchor day where the month has it and take the month's last
    day where it does not: Jan 31 -> Feb 28 (29) -> Mar 31, never drifting to the 28th.
    """
    if recurrence == Recurrence.WEEKLY:
        return due_date + datetime.timedelta(days=7)
    months = _MONTHS_BETWEEN.get(recurrence)
    if months is None:
        return None
    return add_months(due_date, months, day_of_month=anchor_day)


class DaysBefore(models.Func):
    """``date - days`` as a date, in SQL: the day a bill's notice period opens.

    PostgreSQL subtracts an integer from a date natively; SQLite needs date()'s modifier.
    """

    arity = 2
    output_field = models.DateField()

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", '-' || ",
            **extra_context,
        )


def remind_on_expression() -> DaysBefore:
    return DaysBefore(F("due_date"), F("notice_days"))


class BillQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def unpaid(self):
        return self.filter(paid_transaction__isnull=True)

    def notice_open_by(self, day: datetime.date):
        """Bills whose notice period has opened by ``day`` (due_date - notice_days <= day)."""
        return self.filter(
            LessThanOrEqual(remind_on_expression(), Value(day, output_field=models.DateField()))
        )

    def with_status(self, today: datetime.date):
        """Annotates ``status`` as of ``today`` (the user's), the rule of Bill.status_on in SQL."""
        today_value = Value(today, output_field=models.DateField())
        return self.annotate(
            status=Case(
                When(paid_transaction__isnull=False, then=Value(BillStatus.PAID.value)),
                When(due_date__lt=today, then=Value(BillStatus.OVERDUE.value)),
                When(
                    LessThanOrEqual(remind_on_expression(), today_value),
                    then=Value(BillStatus.DUE.value),
                ),
                default=Value(BillStatus.UPCOMING.value),
                output_field=models.CharField(max_length=16),
            )
        )


class Bill(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bills"
    )
    biller = models.CharField(max_length=100)
    amount_due = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        validators=[MinValueValidator(Decimal("0.01"), "The amount due must be positive.")],
    )
    currency = models.CharField(max_length=3, validators=[validate_currency_code])
    due_date = models.DateField()
    # The day of the month the series is due on, kept from its first occurrence (or the
    # last due date set by hand), so a bill due on the 31st comes back to the 31st.
    anchor_day = models.PositiveSmallIntegerField(editable=False)
    recurrence = models.CharField(
        max_length=16, choices=Recurrence.choices, default=Recurrence.NONE
    )
    autopay = models.BooleanField(default=False)
    # Where it is paid from: required for autopay. An account deleted later leaves the bill
    # without one (auto-pay then fails with an alert rather than blocking the deletion).
    account = models.ForeignKey(
        "accounts.BankAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bills",
    )
    category = models.ForeignKey(
        "transactions.Category",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bills",
    )
    notice_days = models.PositiveSmallIntegerField(
        default=NOTICE_DAYS_DEFAULT,
        validators=[
            MaxValueValidator(NOTICE_DAYS_MAX, f"Days of notice are at most {NOTICE_DAYS_MAX}.")
        ],
    )
    # The payment. One-to-one: a transaction pays one bill at most. Deleting the payment
    # makes the bill unpaid again.
    paid_transaction = models.OneToOneField(
        "transactions.Transaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="paid_bill",
    )
    # The occurrence this one follows; one-to-one, so a bill's next occurrence exists once.
    previous = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_occurrence",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BillQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["user", "due_date", "id"], name="bill_user_due_idx"),
            # The daily jobs: unpaid bills by due date, and unpaid auto-pay bills.
            models.Index(
                fields=["due_date"],
                condition=Q(paid_transaction__isnull=True),
                name="bill_unpaid_due_idx",
            ),
            models.Index(
                fields=["due_date"],
                condition=Q(paid_transaction__isnull=True, autopay=True),
                name="bill_unpaid_autopay_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_due__gt=0), name="bill_amount_due_positive"),
            models.CheckConstraint(
                condition=Q(notice_days__lte=NOTICE_DAYS_MAX), name="bill_notice_days_max"
            ),
            models.CheckConstraint(
                condition=Q(anchor_day__gte=1, anchor_day__lte=31), name="bill_anchor_day_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.biller} {self.amount_due} {self.currency} due {self.due_date}"

    @property
    def is_paid(self) -> bool:
        return self.paid_transaction_id is not None

    @property
    def remind_on(self) -> datetime.date:
        """The first day of the notice period: from then on the bill is due."""
        return self.due_date - datetime.timedelta(days=self.notice_days)

    def status_on(self, today: datetime.date) -> str:
        """The bill's status on ``today`` (the user's); BillQuerySet.with_status in Python."""
        if self.is_paid:
            return BillStatus.PAID
        if today > self.due_date:
            return BillStatus.OVERDUE
        if today >= self.remind_on:
            return BillStatus.DUE
        return BillStatus.UPCOMING

    def next_due_date(self) -> datetime.date | None:
        return next_due_date(self.due_date, self.recurrence, self.anchor_day)

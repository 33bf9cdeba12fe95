"""Reward programmes and their points ledger.

A programme's balance is the sum of its entries, always: it is computed (an aggregate),
never stored, so no write can leave a stale counter behind. Entries are written only by
rewards.services and never edited or deleted.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from smartbank.money import validate_currency_code

DEFAULT_PROGRAMME_NAME = "SmartBank Rewards"


class RewardProgrammeQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def with_balance(self):
        """Each programme's balance as ``balance``, in the same query (a correlated subquery)."""
        return self.annotate(balance=balance_subquery())


class RewardProgramme(models.Model):
    """A customer's rewards programme: one per customer, made at sign-up."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reward_programme"
    )
    name = models.CharField(max_length=100, default=DEFAULT_PROGRAMME_NAME)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RewardProgrammeQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} of {self.user}"


class PointsSource(models.TextChoices):
    BILL_ON_TIME = "bill_on_time", "Bill paid on time"
    CATEGORY_SPEND = "category_spend", "Spending in a category"
    REDEMPTION = "redemption", "Redemption"
    ADJUSTMENT = "adjustment", "Adjustment by staff"
    # What spending earned, taken back when that spending is deleted.
    REVERSAL = "reversal", "Spending reversed"


class PointsEntryQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(programme__user=user)


class PointsEntry(models.Model):
    """One line of a programme's points ledger: signed points, why, and what caused them.

    ``cause`` names the event an earning comes from (``bill:{bill_id}``,
    ``spend:{transaction_id}:{rule_id}``); it is unique per programme, so each earning
    happens once whatever retries or races there are.
    """

    programme = models.ForeignKey(RewardProgramme, on_delete=models.PROTECT, related_name="entries")
    points = models.BigIntegerField()
    reason = models.CharField(max_length=255)
    source = models.CharField(max_length=16, choices=PointsSource.choices)
    # NULL, not "", for "no cause" (redemptions, adjustments): the unique constraint below
    # holds for the rows that have one.
    cause = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    # The statement credit of a redemption, the spending or the bill payment that earned.
    transaction = models.ForeignKey(
        "transactions.Transaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="points_entries",
    )
    # The staff member who made an adjustment.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A default rather than auto_now_add, so one bulk write gives all its rows one time.
    created_at = models.DateTimeField(default=timezone.now)

    objects = PointsEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "points entries"
        indexes = [
            models.Index(
                fields=["programme", "-created_at", "-id"], name="rewards_entry_prog_created_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(points=0), name="rewards_entry_points_non_zero"
            ),
            # Earnings add points, redemptions take them; adjustments go either way.
            models.CheckConstraint(
                condition=(
                    models.Q(source__in=["bill_on_time", "category_spend"], points__gt=0)
                    | models.Q(source__in=["redemption", "reversal"], points__lt=0)
                    | models.Q(source="adjustment")
                ),
                name="rewards_entry_sign_matches_source",
            ),
            models.UniqueConstraint(
                fields=["programme", "cause"],
                condition=models.Q(cause__isnull=False),
                name="rewards_entry_programme_cause_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points:+d} points: {self.reason}"


def balance_subquery() -> Coalesce:
    """The balance of the programme in the outer query: the sum of its entries, 0 if none."""
    totals = (
        PointsEntry.objects.filter(programme=models.OuterRef("pk"))
        .order_by()
        .values("programme")
        .annotate(total=models.Sum("points"))
        .values("total")
    )
    return Coalesce(
        models.Subquery(totals, output_field=models.BigIntegerField()),
        0,
        output_field=models.BigIntegerField(),
    )


class EarningRule(models.Model):
    """How points are earned, set by staff.

    bill_on_time: ``points`` per bill paid on or before its due date. category_spend:
    ``points`` per 1.00 of the customer's base currency spent in one of ``categories``.
    Events before ``starts_on`` earn nothing under the rule.
    """

    class Kind(models.TextChoices):
        BILL_ON_TIME = "bill_on_time", "Bill paid on time"
        CATEGORY_SPEND = "category_spend", "Spending in categories"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    points = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="Points per bill paid on time, or per 1.00 of base currency spent.",
    )
    categories = models.ManyToManyField(
        "transactions.Category",
        blank=True,
        related_name="earning_rules",
        limit_choices_to={"user__isnull": True},
        help_text="Spending in these (default) categories earns; only for category spending.",
    )
    active = models.BooleanField(default=True)
    starts_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        indexes = [models.Index(fields=["kind", "active"], name="rewards_rule_kind_active_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__gte=0), name="rewards_rule_points_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionRate(models.Model):
    """What points are worth as a statement credit in one currency, set by staff."""

    currency = models.CharField(max_length=3, unique=True, validators=[validate_currency_code])
    points_per_unit = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Points for a credit of 1.00."
    )
    minimum_points = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="The fewest points one redemption may use.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points_per_unit__gt=0), name="rewards_rate_points_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_points__gte=1), name="rewards_rate_minimum_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.points_per_unit} points = 1.00 {self.currency}"

"""Budget serializers: inputs parse shapes (budgets.services decides), outputs show progress."""

import re
from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from budgets.selectors import EARLIEST_YEAR, LATEST_YEAR
from smartbank.api_fields import money_field
from smartbank.money import CENT, MONEY_DECIMAL_PLACES, MONEY_MAX
from transactions.api.serializers import CategorySlugField

_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_NUMBER = re.compile(r"^\d{1,2}$")


@extend_schema_field(
    {
        "type": "string",
        "description": "The month: YYYY-MM, or any date in it (YYYY-MM-DD, stored as the 1st); "
        "or a month number 1-12 when year is given too.",
        "example": "2025-03",
    }
)
class MonthField(serializers.Field):
    """A month as YYYY-MM or a date (normalised to its 1st), or a bare month number 1-12.

    A bare number is only a month together with ``year``; the serializer checks that.
    """

    default_error_messages = {
        "invalid": "Give the month as YYYY-MM (e.g. 2025-03), a date in it, or a number "
        "from 1 to 12 with year.",
    }

    def to_internal_value(self, data) -> date | int:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return data
        if not isinstance(data, str) or len(data) > 10:
            self.fail("invalid")
        text = data.strip()
        try:
            if match := _YEAR_MONTH.match(text):
                return date(int(match[1]), int(match[2]), 1)
            if _FULL_DATE.match(text):
                return date.fromisoformat(text).replace(day=1)
        except ValueError:
            self.fail("invalid")
        if _MONTH_NUMBER.match(text):
            return int(text)
        self.fail("invalid")

    def to_representation(self, value: date) -> str:
        return value.isoformat()


class BudgetInputSerializer(serializers.Serializer):
    """What POST / PUT / PATCH /api/v1/budgets/ take."""

    category = CategorySlugField(
        help_text="The category's slug, e.g. groceries: a default category or one of yours "
        "(not transfers)."
    )
    month = MonthField()
    year = serializers.IntegerField(
        required=False,
        write_only=True,
        min_value=EARLIEST_YEAR,
        max_value=LATEST_YEAR,
        help_text="With a month number: month 3 and year 2025 mean 2025-03.",
    )
    amount = money_field(
        min_value=CENT,
        max_value=MONEY_MAX,
        error_messages={"min_value": "A budget's amount must be positive."},
        help_text='The limit on spending in the month, e.g. "400.00", in your base currency.',
    )

    def validate(self, attrs):
        year = attrs.pop("year", None)
        month = attrs.get("month")
        if year is not None:
            if month is None:
                raise serializers.ValidationError({"month": "Give month (1-12) with year."})
            if not isinstance(month, int):
                raise serializers.ValidationError(
                    {"month": "With year, give month as a number from 1 to 12."}
                )
            if not 1 <= month <= 12:
                raise serializers.ValidationError({"month": "The month must be from 1 to 12."})
            attrs["month"] = date(year, month, 1)
        elif isinstance(month, int):
            raise serializers.ValidationError(
                {"year": "Give year with a month number, or month as YYYY-MM."}
            )
        return attrs


def total_field(**kwargs) -> serializers.DecimalField:
    """A computed sum in cents, read-only: unlike one stored amount (money_field, 14 digits),
    the sum of a month's rows can be larger than any one of them, so its size is unbounded."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=MONEY_DECIMAL_PLACES, read_only=True, **kwargs
    )


class MonthInputSerializer(serializers.Serializer):
    """What POST /api/v1/budgets/copy-previous/ takes: the month to copy into."""

    year = serializers.IntegerField(min_value=EARLIEST_YEAR, max_value=LATEST_YEAR)
    month = serializers.IntegerField(min_value=1, max_value=12)


class ProgressSerializer(serializers.Serializer):
    """A budget's progress (budgets.selectors.BudgetProgress), in the budget's currency."""

    spent = total_field(
        help_text="Minus the sum of the category's non-transfer amounts in the month, "
        "converted at each day's rate: refunds reduce it (it is negative if they outweigh "
        "the spending).",
    )
    remaining = total_field(help_text="amount - spent; negative once the budget is exceeded.")
    percent_used = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        read_only=True,
        help_text="spent / amount * 100, to two decimals.",
    )
    exceeded = serializers.BooleanField(read_only=True, help_text="spent > amount.")
    projected = total_field(
        help_text="Month-end spending at the current pace: this month spent / days elapsed * "
        "days in month; a past month what was spent; a future month 0.",
    )
    days_in_month = serializers.IntegerField(read_only=True)
    days_elapsed = serializers.IntegerField(
        read_only=True, help_text="Days of the month up to your today, today included."
    )


class BudgetSerializer(serializers.Serializer):
    """One budget with its progress (built from a BudgetProgress)."""

    id = serializers.IntegerField(source="budget.pk", read_only=True)
    category = serializers.CharField(source="budget.category.slug", read_only=True)
    category_name = serializers.CharField(source="budget.category.name", read_only=True)
    month = serializers.DateField(
        source="budget.month", read_only=True, help_text="The first day of the month."
    )
    amount = money_field(source="budget.amount", read_only=True)
    currency = serializers.CharField(
        source="budget.currency",
        read_only=True,
        help_text="Your base currency when the budget was made.",
    )
    progress = ProgressSerializer(source="*", read_only=True)
    created_at = serializers.DateTimeField(source="budget.created_at", read_only=True)
    updated_at = serializers.DateTimeField(source="budget.updated_at", read_only=True)


class BudgetProgressSerializer(ProgressSerializer):
    """GET /api/v1/budgets/{id}/progress/: the budget's limit and where it stands."""

    budget = serializers.IntegerField(source="budget.pk", read_only=True)
    category = serializers.CharField(source="budget.category.slug", read_only=True)
    month = serializers.DateField(source="budget.month", read_only=True)
    amount = money_field(source="budget.amount", read_only=True)
    currency = serializers.CharField(read_only=True)


class CategorySpendingSerializer(serializers.Serializer):
    category = serializers.CharField(
        source="slug", read_only=True, allow_null=True, help_text="Null: uncategorised."
    )
    category_name = serializers.CharField(source="name", read_only=True)
    spent = total_field()
    currency = serializers.CharField(read_only=True)


class MonthSummarySerializer(serializers.Serializer):
    """GET /api/v1/budgets/month/{year}/{month}/."""

    year = serializers.IntegerField(read_only=True)
    month = serializers.IntegerField(read_only=True)
    currency = serializers.CharField(read_only=True, help_text="Your base currency.")
    budgets = BudgetSerializer(many=True, read_only=True)
    unbudgeted = CategorySpendingSerializer(
        many=True,
        read_only=True,
        help_text="Categories with no budget this month whose net spending is positive, "
        "most first, in your base currency; uncategorised spending has category null. "
        "Categories netting zero or less (income, refunds only) are left out.",
    )
    unbudgeted_spent = total_field(help_text="The total of unbudgeted.")

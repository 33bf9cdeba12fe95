"""Insights as JSON: amounts are strings with 2 decimals, in the ``currency`` beside them.

Every insight echoes the range it covers (``date_from``, ``date_to``, defaults applied) and
the currency of its amounts (the customer's base currency).
"""

from rest_framework import serializers

from insights.selectors import PERIODS
from smartbank.money import MONEY_DECIMAL_PLACES


def amount_field(**kwargs) -> serializers.DecimalField:
    """A computed sum in cents, read-only. A sum of many rows can be larger than any one
    stored amount (14 digits), so its size is unbounded."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=MONEY_DECIMAL_PLACES, read_only=True, **kwargs
    )


class _RangeSerializer(serializers.Serializer):
    currency = serializers.CharField(read_only=True, help_text="Your base currency.")
    date_from = serializers.DateField(read_only=True, help_text="First txn_date counted.")
    date_to = serializers.DateField(read_only=True, help_text="Last txn_date counted.")


class CashFlowMonthSerializer(serializers.Serializer):
    start = serializers.DateField(read_only=True, help_text="The 1st of the month / a Monday.")
    end = serializers.DateField(read_only=True, help_text="The period's last day.")
    income = amount_field(source="money_in", help_text="Money in: sum of positive amounts.")
    expenses = amount_field(
        source="money_out", help_text="Money out: minus the sum of negative amounts, positive."
    )
    net = amount_field(help_text="income - expenses.")
    count = serializers.IntegerField(read_only=True, help_text="Transactions counted.")


class CashFlowSerializer(_RangeSerializer):
    """GET /api/v1/insights/cash-flow/."""

    months = CashFlowMonthSerializer(
        source="periods",
        many=True,
        read_only=True,
        help_text="Every calendar month touching the range, oldest first, empty ones as zeros.",
    )
    income = amount_field(source="money_in", help_text="Over the whole range, rounded once.")
    expenses = amount_field(
        source="money_out", help_text="Over the whole range, rounded once; positive."
    )
    net = amount_field(help_text="income - expenses.")
    count = serializers.IntegerField(read_only=True)


class TopMerchantSerializer(serializers.Serializer):
    merchant = serializers.CharField(read_only=True)
    spending = amount_field(help_text="Minus the sum of the merchant's amounts: refunds reduce it.")
    count = serializers.IntegerField(read_only=True, help_text="Transactions, refunds included.")


class MerchantBreakdownSerializer(_RangeSerializer):
    """GET /api/v1/insights/merchants/."""

    limit = serializers.IntegerField(read_only=True)
    merchants = TopMerchantSerializer(many=True, read_only=True)


class CategoryShareSerializer(serializers.Serializer):
    category = serializers.CharField(
        source="slug", read_only=True, allow_null=True, help_text="Slug; null: uncategorised."
    )
    category_name = serializers.CharField(source="name", read_only=True)
    spending = amount_field(help_text="Minus the sum of the category's amounts: refunds reduce it.")
    share = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        read_only=True,
        help_text="Percent of total_spending, 2 decimals.",
    )
    count = serializers.IntegerField(read_only=True, help_text="Transactions, refunds included.")


class CategoryBreakdownSerializer(_RangeSerializer):
    """GET /api/v1/insights/categories/."""

    categories = CategoryShareSerializer(many=True, read_only=True)
    total_spending = amount_field(help_text="The sum of the categories listed.")


class TrendPeriodSerializer(serializers.Serializer):
    start = serializers.DateField(read_only=True, help_text="The 1st of the month / a Monday.")
    end = serializers.DateField(read_only=True, help_text="The period's last day.")
    deposits = amount_field(source="money_in", help_text="Money in: sum of positive amounts.")
    spending = amount_field(
        source="money_out", help_text="Money out: minus the sum of negative amounts."
    )
    net = amount_field()
    count = serializers.IntegerField(read_only=True)


class TrendsSerializer(_RangeSerializer):
    """GET /api/v1/insights/trends/."""

    period = serializers.ChoiceField(choices=PERIODS, read_only=True)
    periods = TrendPeriodSerializer(
        many=True,
        read_only=True,
        help_text="Every month or ISO week touching the range, oldest first, empty ones as zeros.",
    )
    deposits = amount_field(source="money_in", help_text="Over the whole range, rounded once.")
    spending = amount_field(source="money_out", help_text="Over the whole range, rounded once.")
    net = amount_field()


class BurnRateSerializer(_RangeSerializer):
    """GET /api/v1/insights/burn-rate/."""

    spending_30_days = amount_field(help_text="Money out over the 30 days up to date_to.")
    spending_90_days = amount_field(help_text="Money out over the 90 days up to date_to.")
    average_daily_30_days = amount_field(help_text="spending_30_days / 30.")
    average_daily_90_days = amount_field(help_text="spending_90_days / 90.")
    month_to_date_spending = amount_field(
        help_text="Money out from the 1st of date_to's month to date_to."
    )
    days_left_in_month = serializers.IntegerField(read_only=True)
    projected_month_end_spending = amount_field(
        help_text="month_to_date_spending + the 30-day average x days_left_in_month."
    )
    liquid_balance = amount_field(
        allow_null=True,
        help_text="Checking, savings and cash accounts at the end of date_to, converted at "
        "that day's rate; null when none is in scope.",
    )
    runway_days = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Whole days liquid_balance lasts at the 30-day average; null when that "
        "average is 0 or liquid_balance is null.",
    )


class TransactionMetricsSerializer(serializers.Serializer):
    """GET /api/v1/transactions/metrics/."""

    currency = serializers.CharField(read_only=True, help_text="Your base currency.")
    date_from = serializers.DateField(
        read_only=True, allow_null=True, help_text="As given; null: from the first transaction."
    )
    date_to = serializers.DateField(
        read_only=True, allow_null=True, help_text="As given; null: to the last transaction."
    )
    total_spent = amount_field(help_text="Money out: minus the sum of negative amounts.")
    expense_count = serializers.IntegerField(read_only=True)
    average_transaction = amount_field(
        allow_null=True, help_text="total_spent / expense_count; null when there is none."
    )
    money_in = amount_field(help_text="Sum of positive amounts.")
    income_count = serializers.IntegerField(read_only=True)
    top_categories = CategoryShareSerializer(
        many=True,
        read_only=True,
        help_text="The 5 categories most spent in (net of refunds), with their share of all "
        "positive category spending of these transactions.",
    )

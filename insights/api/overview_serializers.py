"""GET /api/v1/dashboard/overview/: the output shape of insights.overview.Overview."""

from rest_framework import serializers

from accounts.api.currency_serializers import CurrencyAccountBalanceSerializer, amount_field
from bills.api.serializers import BillSerializer
from budgets.api.serializers import MonthSummarySerializer
from insights.overview import (
    ACCOUNTS,
    BUDGETS,
    OVERDUE_BILLS_SHOWN,
    RECENT_TRANSACTIONS,
    THIS_MONTH,
    UPCOMING_BILL_DAYS,
)
from smartbank.api_fields import money_field


class OverviewAccountsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Active accounts (archived ones are left out).")
    currency = serializers.CharField(help_text="Your base currency.")
    total_balance = amount_field(
        source="total",
        help_text="Every active account's balance in your base currency at your today's rate, "
        "liabilities negative; accounts whose currency has no rate are left out.",
    )
    total_complete = serializers.BooleanField(
        source="complete", help_text="False when some account's rate is missing."
    )
    items = CurrencyAccountBalanceSerializer(source="accounts", many=True)


class OverviewMonthSerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="The 1st of your current month.")
    date_to = serializers.DateField(help_text="Your today.")
    currency = serializers.CharField()
    income = amount_field(help_text="Money in: positive non-transfer amounts.")
    spending = amount_field(
        help_text="Money out, shown positive: minus the negative non-transfer amounts."
    )
    net = amount_field(help_text="income - spending.")
    count = serializers.IntegerField(help_text="Non-transfer transactions.")


class OverviewBillsSerializer(serializers.Serializer):
    until = serializers.DateField(
        help_text=f"Your today + {UPCOMING_BILL_DAYS} days: the last due date counted upcoming."
    )
    upcoming = BillSerializer(
        many=True, help_text="Unpaid bills due from today to until, soonest first."
    )
    overdue = BillSerializer(
        many=True,
        help_text=f"Unpaid bills past their due date, most overdue first (at most "
        f"{OVERDUE_BILLS_SHOWN}).",
    )
    overdue_count = serializers.IntegerField(help_text="How many bills are overdue in all.")


class OverviewTransactionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    txn_date = serializers.DateField()
    amount = money_field(read_only=True, help_text="Signed, in the account's currency.")
    currency = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField()
    merchant = serializers.CharField()
    account = serializers.IntegerField(source="account_id")
    account_name = serializers.CharField(source="account.name")
    category = serializers.CharField(source="category.slug", allow_null=True, default=None)
    category_name = serializers.CharField(source="category.name", allow_null=True, default=None)


class OverviewMissingRateSerializer(serializers.Serializer):
    section = serializers.ChoiceField(
        choices=[ACCOUNTS, THIS_MONTH, BUDGETS],
        help_text="What the missing rate left incomplete.",
    )
    base = serializers.CharField()
    quote = serializers.CharField()
    day = serializers.DateField()
    detail = serializers.CharField()


class OverviewSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="Your base currency: every total is in it.")
    today = serializers.DateField(help_text="Your today, in your time zone.")
    accounts = OverviewAccountsSerializer(source="balances")
    this_month = OverviewMonthSerializer(
        allow_null=True, help_text="Null when a rate it needs is missing (see missing_rates)."
    )
    budgets = MonthSummarySerializer(
        allow_null=True,
        help_text="This month's budgets against actual spending per category, and unbudgeted "
        "spending; as GET /budgets/month/{year}/{month}/. Null when a rate is missing.",
    )
    bills = OverviewBillsSerializer()
    unread_alerts = serializers.IntegerField()
    reward_points = serializers.IntegerField(help_text="All your programmes' points together.")
    recent_transactions = OverviewTransactionSerializer(
        many=True, help_text=f"Your latest {RECENT_TRANSACTIONS} transactions, newest first."
    )
    complete = serializers.BooleanField(help_text="False when some rate was missing.")
    missing_rates = OverviewMissingRateSerializer(
        many=True, help_text="Each missing rate, with the section it left incomplete."
    )

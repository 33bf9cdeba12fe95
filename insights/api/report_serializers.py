"""Serializers of the customer reports and the staff portfolio: the date ranges they take,
and the figures they show (money as strings with the currency beside it)."""

from django.utils import timezone
from rest_framework import serializers

from accounts.models import BankAccount, User
from alerts.models import AlertType
from insights.api.filters import InsightFilterSerializer

# Totals over many rows or customers may outgrow one account's 14 digits.
TOTAL_MAX_DIGITS = 24


def total_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=TOTAL_MAX_DIGITS, decimal_places=2, read_only=True, **kwargs
    )


# --- What the reports take --------------------------------------------------------------


class ReportRangeSerializer(InsightFilterSerializer):
    """``date_from``/``date_to`` (or ``start_date``/``end_date``) for one customer's report.

    The insights' range rules, read from the customer's point of view (``context["customer"]``,
    who may not be the caller): the default is the twelve months up to the customer's today.
    The account and category filters are not taken: a report covers all the customer's
    accounts.
    """

    account = None
    category = None
    categories = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = self.context["customer"]
        self.today = self.user.today()


class PortfolioRangeSerializer(InsightFilterSerializer):
    """``date_from``/``date_to`` (or ``start_date``/``end_date``) of the staff portfolio.

    Days are UTC days: the portfolio is the bank's, not one customer's. Default: this
    calendar month so far (its 1st to today); with only ``date_to``, from the 1st of its
    month; with only ``date_from``, to today. The insights' other rules hold: a malformed or
    inverted range, a day before 1900 or over a year ahead, or more than ten years, is a 400.
    """

    account = None
    category = None
    categories = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.now().date()  # USE_TZ: now() is in UTC

    def default_range(self, date_from, date_to):
        if date_to is None:
            date_to = self.today if date_from is None or date_from <= self.today else date_from
        if date_from is None:
            date_from = date_to.replace(day=1)
        return date_from, date_to


# --- Account summary --------------------------------------------------------------------


class AccountLineSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="account.pk")
    name = serializers.CharField(source="account.name")
    account_type = serializers.ChoiceField(
        source="account.account_type", choices=BankAccount.Type.choices
    )
    currency = serializers.CharField(source="account.currency")
    balance = total_field(source="account.balance", help_text="In the account's currency.")
    balance_in_base = total_field(
        help_text="The balance in the customer's base currency, at the rate of as_of."
    )


class TransactionKindsSerializer(serializers.Serializer):
    income = serializers.IntegerField()
    expense = serializers.IntegerField()
    transfer = serializers.IntegerField(help_text="Transfer legs: each transfer is two rows.")


class AccountSummarySerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk", help_text="The customer's id.")
    currency = serializers.CharField(help_text="The customer's base currency.")
    as_of = serializers.DateField(
        help_text="The customer's today (their time zone): balances are converted at its rates."
    )
    total_balance = total_field(
        help_text="The active accounts' balances in the base currency; credit cards and loans "
        "owed count as negative."
    )
    account_count = serializers.IntegerField(help_text="Active (not archived) accounts.")
    accounts = AccountLineSerializer(many=True)
    transaction_count = serializers.IntegerField(
        help_text="Every transaction on any of the customer's accounts (archived ones too), "
        "each transfer leg counted."
    )
    non_transfer_count = serializers.IntegerField(
        help_text="The same without transfers: income and expense rows."
    )
    transactions_by_kind = TransactionKindsSerializer()


# --- Transaction trends -----------------------------------------------------------------


class MonthFlowSerializer(serializers.Serializer):
    month = serializers.SerializerMethodField(help_text="YYYY-MM")
    start = serializers.DateField(help_text="The month's first day.")
    end = serializers.DateField(help_text="The month's last day.")
    money_in = total_field()
    money_out = total_field(help_text="Positive: minus the sum of the money going out.")
    net = total_field(help_text="money_in - money_out")
    count = serializers.IntegerField(help_text="Non-transfer transactions.")

    def get_month(self, period) -> str:
        return period.start.strftime("%Y-%m")


class TransactionTrendsSerializer(serializers.Serializer):
    customer = serializers.IntegerField(source="customer.pk", help_text="The customer's id.")
    currency = serializers.CharField(source="flow.currency", help_text="Base currency.")
    date_from = serializers.DateField(source="flow.date_from")
    date_to = serializers.DateField(source="flow.date_to")
    months = MonthFlowSerializer(
        source="flow.periods",
        many=True,
        help_text="Every calendar month touching the range, oldest first, empty ones as zeros; "
        "only the range's days count.",
    )
    money_in = total_field(source="flow.money_in")
    money_out = total_field(source="flow.money_out")
    net = total_field(source="flow.net")
    count = serializers.IntegerField(source="flow.count")


# --- Staff portfolio --------------------------------------------------------------------


class KycLineSerializer(serializers.Serializer):
    kyc_status = serializers.ChoiceField(choices=User.KycStatus.choices)
    customers = serializers.IntegerField()
    joined = serializers.IntegerField(help_text="Of them, signed up within the range.")


class CustomersSectionSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="customer_count", help_text="Every customer.")
    joined = serializers.IntegerField(
        source="joined_count", help_text="Customers who signed up within the range (UTC days)."
    )
    by_kyc_status = KycLineSerializer(
        source="customers_by_kyc", many=True, help_text="Every status, zeros included."
    )


class DepositLineSerializer(serializers.Serializer):
    currency = serializers.CharField()
    balance = total_field(help_text="In this currency.")
    accounts = serializers.IntegerField()


class DepositsSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The reporting currency of total.")
    rate_date = serializers.DateField(help_text="The day total is converted at: date_to.")
    total = total_field()
    accounts = serializers.IntegerField()
    by_currency = DepositLineSerializer(many=True)


class CategoryLineSerializer(serializers.Serializer):
    group = serializers.ChoiceField(
        choices=[
            ("default", "a shared category"),
            ("own", "customers' own categories, together"),
            ("none", "uncategorised"),
        ]
    )
    category = serializers.CharField(
        allow_null=True, help_text="The shared category's slug; null for own and none."
    )
    name = serializers.CharField()
    spending = total_field(help_text="Minus the sum of the amounts: refunds reduce it.")
    count = serializers.IntegerField(help_text="Non-transfer transactions.")


class SpendingSectionSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="The reporting currency.")
    categories = CategoryLineSerializer(
        source="spending_by_category",
        many=True,
        help_text="Groups with positive spending in the range, largest first.",
    )


class AlertLineSerializer(serializers.Serializer):
    alert_type = serializers.ChoiceField(choices=AlertType.choices)
    open = serializers.IntegerField()
    unread = serializers.IntegerField()


class AlertsSectionSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="open_alert_count")
    unread = serializers.IntegerField(source="unread_alert_count")
    by_type = AlertLineSerializer(
        source="open_alerts", many=True, help_text="Every alert type, zeros included."
    )


class OverdueLineSerializer(serializers.Serializer):
    currency = serializers.CharField()
    bills = serializers.IntegerField()
    amount_due = total_field(help_text="In this currency.")


class OverdueSectionSerializer(serializers.Serializer):
    bills = serializers.IntegerField(source="overdue_bill_count")
    by_currency = OverdueLineSerializer(source="overdue_bills", many=True)


class PortfolioSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    currency = serializers.CharField(help_text="REPORTING_CURRENCY: converted totals are in it.")
    customers = CustomersSectionSerializer(source="*")
    deposits = DepositsSerializer(
        help_text="Customers' active checking, savings and cash accounts: balances as they "
        "stand now, the total converted at date_to's rates."
    )
    spending = SpendingSectionSerializer(
        source="*",
        help_text="All customers' spending per category within the range, transfers excluded, "
        "each row converted at its own day's rate.",
    )
    open_alerts = AlertsSectionSerializer(
        source="*",
        help_text="Customers' alerts now neither dismissed nor deleted; unread beside them.",
    )
    overdue_bills = OverdueSectionSerializer(
        source="*", help_text="Unpaid bills past their due date in each customer's own today."
    )

"""Currency API serializers: inputs parse shapes, outputs show accounts.balances' reads."""

import datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from smartbank.api_fields import CurrencyField, money_field
from smartbank.money import MONEY_DECIMAL_PLACES, MONEY_MAX

# The ECB's reference rates start on 4 January 1999; no rate is older than the euro.
RATES_EARLIEST_DATE = datetime.date(1999, 1, 1)
# More quotes than ISO 4217 has currencies is a mistake, not a question.
MAX_QUOTES = 200


def check_rate_date(value: datetime.date, *, today: datetime.date) -> datetime.date:
    """A day rates can be asked for: from RATES_EARLIEST_DATE to the customer's today."""
    if value < RATES_EARLIEST_DATE:
        raise serializers.ValidationError(
            f"Exchange rates start in 1999: give a date from {RATES_EARLIEST_DATE.isoformat()}."
        )
    if value > today:
        raise serializers.ValidationError(
            f"The date cannot be in the future (your today is {today.isoformat()})."
        )
    return value


def _today(serializer: serializers.Serializer) -> datetime.date:
    return serializer.context["request"].user.today()


@extend_schema_field(
    {
        "type": "string",
        "description": "1 unit of one currency in another, unrounded: stored rates as "
        "published, inverse and cross rates to 28 significant digits.",
        "example": "1.0812",
    }
)
class RateField(serializers.Field):
    """A rate as a plain decimal string, trailing zeros dropped ("1.0350000000" -> "1.035")."""

    def to_representation(self, value):
        return format(value.normalize(), "f")


def amount_field(**kwargs) -> serializers.DecimalField:
    """A converted amount in cents, read-only: unlike one stored amount (money_field, 14
    digits) an amount converted into a weaker currency can be larger than any column holds."""
    return serializers.DecimalField(
        max_digits=None, decimal_places=MONEY_DECIMAL_PLACES, read_only=True, **kwargs
    )


class CurrencyMissingRateSerializer(serializers.Serializer):
    base = serializers.CharField(help_text="The currency converted from.")
    quote = serializers.CharField(help_text="The currency converted into.")
    day = serializers.DateField(help_text="No rate is stored on or before this day.")
    detail = serializers.CharField()


# --- rates/ ---------------------------------------------------------------------------


@extend_schema_field({"type": "string", "example": "USD,GBP,JPY"})
class QuotesField(serializers.Field):
    """Comma-separated ISO 4217 codes ("usd, GBP"), each checked, duplicates dropped."""

    default_error_messages = {
        "invalid": "Give currency codes separated by commas, e.g. USD,GBP.",
        "too_many": f"At most {MAX_QUOTES} currencies.",
    }

    def to_internal_value(self, data) -> list[str]:
        if not isinstance(data, str) or not data.strip():
            self.fail("invalid")
        codes = [part for part in (piece.strip() for piece in data.split(",")) if part]
        if not codes:
            self.fail("invalid")
        if len(codes) > MAX_QUOTES:
            self.fail("too_many")
        field = CurrencyField()
        return list(dict.fromkeys(field.run_validation(code) for code in codes))


class CurrencyRatesQuerySerializer(serializers.Serializer):
    """The query parameters of GET /api/v1/currency/rates/."""

    base = CurrencyField(
        required=False,
        help_text="The currency the rates are for: 1 base = rate quote. "
        "Default: your base currency.",
    )
    date = serializers.DateField(
        required=False,
        help_text="The day (ISO 8601), from 1999-01-01 to your today. Default: your today.",
    )
    quotes = QuotesField(
        required=False,
        help_text="Comma-separated currency codes to quote. Default: every currency the "
        "rates table knows, except base.",
    )

    def validate_date(self, value: datetime.date) -> datetime.date:
        return check_rate_date(value, today=_today(self))


class CurrencyQuotedRateSerializer(serializers.Serializer):
    currency = serializers.CharField()
    rate = RateField(allow_null=True, help_text="1 base in this currency; null: no rate known.")
    day = serializers.DateField(
        allow_null=True,
        help_text="The day of the stored rate used (the latest on or before the date asked; "
        "for a cross via the euro, its older leg); null for the base itself or no rate.",
    )


class CurrencyRatesSerializer(serializers.Serializer):
    base = serializers.CharField()
    date = serializers.DateField(source="day")
    rates = CurrencyQuotedRateSerializer(many=True)
    currencies = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every currency the rates table knows, as base or quote.",
    )


# --- summary/ -------------------------------------------------------------------------


class CurrencyAccountBalanceSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="account.pk")
    name = serializers.CharField(source="account.name")
    account_type = serializers.CharField(source="account.account_type")
    currency = serializers.CharField()
    balance = money_field(
        read_only=True,
        help_text="As stored, in the account's currency; negative while a "
        "credit card or loan is owed.",
    )
    rate = RateField(
        allow_null=True, help_text="1 unit of the account's currency in your base currency."
    )
    balance_in_base = amount_field(
        allow_null=True, help_text="The balance in your base currency; null: no rate known."
    )


class CurrencyTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    count = serializers.IntegerField(help_text="Active accounts in this currency.")
    balance = amount_field(help_text="Their balances added, in this currency.")
    rate = RateField(allow_null=True)
    balance_in_base = amount_field(allow_null=True)


class CurrencySummarySerializer(serializers.Serializer):
    """GET /api/v1/currency/summary/."""

    currency = serializers.CharField(help_text="Your base currency.")
    date = serializers.DateField(source="day", help_text="Your today: the rates' day.")
    count = serializers.IntegerField(help_text="Active accounts (archived ones are left out).")
    accounts = CurrencyAccountBalanceSerializer(many=True)
    currencies = CurrencyTotalSerializer(many=True, help_text="Base currency first.")
    total = amount_field(
        help_text="Every active account in your base currency, liabilities negative; accounts "
        "whose currency has no rate are left out (see total_complete)."
    )
    total_complete = serializers.BooleanField(
        source="complete", help_text="False when some account's rate is missing."
    )
    missing_rates = CurrencyMissingRateSerializer(many=True)


# --- convert/ -------------------------------------------------------------------------


class CurrencyConvertInputSerializer(serializers.Serializer):
    """What POST /api/v1/currency/convert/ takes."""

    amount = money_field(
        min_value=0,
        max_value=MONEY_MAX,
        error_messages={"min_value": "The amount cannot be negative."},
        help_text='The amount, e.g. "100.00": at most two decimals.',
    )
    from_currency = CurrencyField()
    to_currency = CurrencyField()
    date = serializers.DateField(
        required=False,
        help_text="The day whose rate is used (ISO 8601), from 1999-01-01 to your today. "
        "Default: your today.",
    )

    def validate_date(self, value: datetime.date) -> datetime.date:
        return check_rate_date(value, today=_today(self))


class CurrencyConversionSerializer(serializers.Serializer):
    amount = money_field(read_only=True)
    from_currency = serializers.CharField()
    to_currency = serializers.CharField()
    date = serializers.DateField()
    rate = RateField(help_text="1 from_currency in to_currency on the date, unrounded.")
    converted_amount = amount_field(
        help_text="amount * rate, rounded to the cent once (half to even)."
    )

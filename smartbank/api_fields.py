"""Serializer fields every app's API shares, so money and currencies read the same everywhere."""

from rest_framework import serializers

from smartbank.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    is_currency_code,
    normalize_currency_code,
)


class CurrencyField(serializers.CharField):
    """An ISO 4217 code. Lower case is accepted and stored upper case ("eur" -> "EUR")."""

    default_error_messages = {
        "invalid_currency": "{value} is not an ISO 4217 currency code.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "ISO 4217 currency code, e.g. EUR.")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = normalize_currency_code(super().to_internal_value(data))
        if not is_currency_code(value):
            self.fail("invalid_currency", value=value[:10])
        return value


def money_field(**kwargs) -> serializers.DecimalField:
    # NaN and Infinity are refused by DRF's DecimalField; max_digits bounds the size to what
    # the column holds, and decimal_places refuses fractions of a cent instead of rounding.
    return serializers.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, **kwargs
    )

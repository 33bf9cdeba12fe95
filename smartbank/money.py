"""The one place where money is rounded and currency codes are checked."""

from decimal import ROUND_HALF_EVEN, Decimal

import pycountry
from django.core.exceptions import ValidationError

MONEY_MAX_DIGITS = 14
MONEY_DECIMAL_PLACES = 2
RATE_MAX_DIGITS = 20
RATE_DECIMAL_PLACES = 10
CENT = Decimal("0.01")
# ISO 4217 lists these, but they are codes for testing and "no currency", not money.
NOT_MONEY_CODES = frozenset({"XXX", "XTS"})
# The largest amount a DecimalField(max_digits=14, decimal_places=2) holds.
MONEY_MAX = Decimal("999999999999.99")


def quantize_money(value: Decimal | int | str) -> Decimal:
    """Round to cents with banker's rounding, the convention for currency conversion."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)


def normalize_currency_code(value: str) -> str:
    """How a typed code is read: " eur" means EUR."""
    return (value or "").strip().upper()


def is_currency_code(code: str) -> bool:
    return (
        isinstance(code, str)
        and len(code) == 3
        and code.isalpha()
        and code.isupper()
        and code not in NOT_MONEY_CODES
        and pycountry.currencies.get(alpha_3=code) is not None
    )


def validate_currency_code(code: str) -> None:
    if not is_currency_code(code):
        raise ValidationError(
            "%(code)s is not an ISO 4217 currency code.",
            code="invalid_currency",
            params={"code": code},
        )


def format_money(amount: Decimal, currency: str) -> str:
    return f"{quantize_money(amount):,.2f} {currency}"

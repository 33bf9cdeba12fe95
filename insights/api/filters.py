"""Query-string filters shared by the insights endpoints, parsed into an ``InsightScope``.

Every parameter is validated: a malformed value (a date that is not a date, an account that
is not yours, an unknown category, a range the wrong way round or longer than ten years) is
a 400 naming the parameter, never a 500 and never silently ignored.

The default range, the same rule on every insight: with neither end given, the twelve
months up to the customer's today (from the 1st of the month eleven months back to today,
in the customer's time zone); with only ``date_to``, the twelve months up to it; with only
``date_from``, from it to today (that day alone when it is after today).
"""

import datetime
import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from insights.selectors import MONTH, PERIODS, InsightScope
from smartbank.dates import BOOKING_DAYS_AHEAD, EARLIEST_DATE, add_months
from transactions import selectors as transaction_selectors

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

DEFAULT_MONTHS = 12
# Bounds the periods one answer lists (520 weeks); a longer range is a typo, not a question.
MAX_RANGE_DAYS = 3660
MAX_SLUGS = 50
MAX_SLUGS_LENGTH = 2000

DEFAULT_MERCHANT_LIMIT = 10
MAX_MERCHANT_LIMIT = 100


def default_date_from(date_to: datetime.date) -> datetime.date:
    """The 1st of the month eleven months before ``date_to``'s: twelve calendar months."""
    return add_months(date_to.replace(day=1), -(DEFAULT_MONTHS - 1))


class _DayField(serializers.DateField):
    """A date written YYYY-MM-DD, nothing looser: 20250101 or 2025-1-1 are likely typos."""

    default_error_messages = {"invalid": "Date has wrong format. Use YYYY-MM-DD."}

    def to_internal_value(self, value):
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
            self.fail("invalid")
        return super().to_internal_value(value)


class _OwnAccountField(serializers.PrimaryKeyRelatedField):
    """One of the caller's accounts by id; anything else reads as the transaction list does."""

    default_error_messages = {
        "does_not_exist": "Account not found.",
        "incorrect_type": "Account not found.",
    }

    def get_queryset(self):
        user = self.context["request"].user
        return transaction_selectors.bank_accounts_for_user(user=user)

    def to_internal_value(self, data):
        # An id is digits; anything else cannot be one of the caller's accounts.
        if not isinstance(data, str) or not data.isascii() or not data.isdigit() or len(data) > 18:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class _CategorySlugsField(serializers.CharField):
    """Comma-separated slugs, each a default category or one of the caller's own."""

    default_error_messages = {
        "too_long": "At most {limit} characters.",
        "too_many": "At most {limit} categories.",
    }

    def to_internal_value(self, data) -> list[str]:
        text = super().to_internal_value(data)
        if len(text) > MAX_SLUGS_LENGTH:
            self.fail("too_long", limit=MAX_SLUGS_LENGTH)
        slugs = list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
        if len(slugs) > MAX_SLUGS:
            self.fail("too_many", limit=MAX_SLUGS)
        return slugs


class InsightFilterSerializer(serializers.Serializer):
    """``date_from``/``date_to`` (or ``start_date``/``end_date``), ``account``, ``category``/
    ``categories``; ``validated_data["scope"]`` is the ``InsightScope`` they describe."""

    date_from = _DayField(required=False)
    date_to = _DayField(required=False)
    start_date = _DayField(required=False)
    end_date = _DayField(required=False)
    account = _OwnAccountField(required=False)
    category = _CategorySlugsField(required=False, allow_blank=True)
    categories = _CategorySlugsField(required=False, allow_blank=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = self.context["request"].user
        self.today = self.user.today()

    def validate(self, attrs):
        date_from = self._alias(attrs, "date_from", "start_date")
        date_to = self._alias(attrs, "date_to", "end_date")
        for name, value in (("date_from", date_from), ("date_to", date_to)):
            if value is not None:
                self._check_day(value, name)
        date_from, date_to = self.default_range(date_from, date_to)
        if date_from > date_to:
            raise serializers.ValidationError(
                {"date_from": f"date_from ({date_from}) is after date_to ({date_to})."}
            )
        if (date_to - date_from).days >= MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"date_from": f"A range may span at most {MAX_RANGE_DAYS} days (ten years)."}
            )
        return {
            **attrs,
            "scope": InsightScope(
                user=self.user,
                date_from=date_from,
                date_to=date_to,
                account=attrs.get("account"),
                categories=self._categories(attrs),
            ),
        }

    def default_range(self, date_from, date_to):
        """The range asked for, completed by the default rule of the module docstring."""
        if date_to is None:
            date_to = self.today if date_from is None or date_from <= self.today else date_from
        if date_from is None:
            date_from = default_date_from(date_to)
        return date_from, date_to

    def _alias(self, attrs, name: str, alias: str):
        value, other = attrs.get(name), attrs.get(alias)
        if value is not None and other is not None and value != other:
            raise serializers.ValidationError({alias: f"{alias} is an alias of {name}; give one."})
        return value if value is not None else other

    def _check_day(self, value: datetime.date, name: str) -> None:
        if value < EARLIEST_DATE:
            raise serializers.ValidationError(
                {name: f"Dates before {EARLIEST_DATE.isoformat()} are not accepted."}
            )
        latest = self.today + datetime.timedelta(days=BOOKING_DAYS_AHEAD)
        if value > latest:
            raise serializers.ValidationError(
                {name: f"Dates after {latest.isoformat()} are not accepted."}
            )

    def _categories(self, attrs) -> tuple:
        given = {name: attrs[name] for name in ("category", "categories") if attrs.get(name)}
        wanted = list(dict.fromkeys(slug for slugs in given.values() for slug in slugs))
        if not wanted:
            return ()
        # As the transaction list: a slug that is both a default and one of yours means both.
        found = tuple(
            transaction_selectors.categories_for_user(user=self.user).filter(slug__in=wanted)
        )
        known = {category.slug for category in found}
        unknown = [slug for slug in wanted if slug not in known]
        if unknown:
            name = next(n for n, slugs in given.items() if any(s in unknown for s in slugs))
            raise serializers.ValidationError({name: f"Unknown category: {', '.join(unknown)}."})
        return found


class MerchantFilterSerializer(InsightFilterSerializer):
    limit = serializers.IntegerField(
        required=False,
        default=DEFAULT_MERCHANT_LIMIT,
        min_value=1,
        max_value=MAX_MERCHANT_LIMIT,
    )


class TrendFilterSerializer(InsightFilterSerializer):
    period = serializers.ChoiceField(
        choices=PERIODS,
        required=False,
        default=MONTH,
        error_messages={"invalid_choice": "{input} is not a period: give week or month."},
    )


class BurnRateFilterSerializer(InsightFilterSerializer):
    """Burn rate is measured as of one day, ``date_to`` (default: the customer's today).

    The windows are fixed (the 30 and 90 days up to that day) so ``date_from`` has no
    meaning here and is refused rather than ignored. The day may not be in the future:
    a runway is counted from a balance that is known.
    """

    def validate(self, attrs):
        for name in ("date_from", "start_date"):
            if attrs.get(name) is not None:
                raise serializers.ValidationError(
                    {
                        name: "Burn rate is measured over the 30 and 90 days up to date_to "
                        "(default today); give date_to only."
                    }
                )
        as_of = self._alias(attrs, "date_to", "end_date")
        if as_of is not None and as_of > self.today:
            raise serializers.ValidationError(
                {"date_to": f"date_to cannot be after your today ({self.today})."}
            )
        return super().validate(attrs)

    def default_range(self, date_from, date_to):
        as_of = date_to or self.today
        return as_of - datetime.timedelta(days=89), as_of


# The OpenAPI description of the parameters above, shared by every insight's extend_schema.
_RANGE_RULE = (
    "Default when neither date is given: the twelve months up to your today (from the 1st of "
    "the month eleven months back, in your time zone); with only date_to, the twelve months "
    "up to it; with only date_from, from it to today (that day alone when it is after today)."
)

FILTER_PARAMETERS = [
    OpenApiParameter(
        "date_from",
        OpenApiTypes.DATE,
        description="txn_date on or after (YYYY-MM-DD). " + _RANGE_RULE,
    ),
    OpenApiParameter(
        "date_to", OpenApiTypes.DATE, description="txn_date on or before (YYYY-MM-DD)."
    ),
    OpenApiParameter("start_date", OpenApiTypes.DATE, description="Alias of date_from."),
    OpenApiParameter("end_date", OpenApiTypes.DATE, description="Alias of date_to."),
    OpenApiParameter(
        "account",
        OpenApiTypes.INT,
        description="Only this account's transactions (the id of one of your accounts; "
        "another id is a 400 'Account not found.').",
    ),
    OpenApiParameter(
        "category",
        OpenApiTypes.STR,
        description="A category slug (a default category or one of yours); an unknown slug "
        "is a 400.",
    ),
    OpenApiParameter(
        "categories",
        OpenApiTypes.STR,
        description="Comma-separated category slugs, e.g. groceries,dining: any of them.",
    ),
]

BURN_RATE_PARAMETERS = [
    OpenApiParameter(
        "date_to",
        OpenApiTypes.DATE,
        description="The day the burn rate is measured up to (YYYY-MM-DD), at most your "
        "today; default your today. date_from is refused: the windows are fixed.",
    ),
    OpenApiParameter("end_date", OpenApiTypes.DATE, description="Alias of date_to."),
    *(p for p in FILTER_PARAMETERS if p.name in ("account", "category", "categories")),
]

MERCHANT_PARAMETERS = [
    *FILTER_PARAMETERS,
    OpenApiParameter(
        "limit",
        OpenApiTypes.INT,
        description=f"How many merchants, 1-{MAX_MERCHANT_LIMIT}; default "
        f"{DEFAULT_MERCHANT_LIMIT}.",
    ),
]

TREND_PARAMETERS = [
    *FILTER_PARAMETERS,
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        enum=list(PERIODS),
        description="month (calendar months) or week (ISO weeks, Monday to Sunday); default month.",
    ),
]

"""Query-string filters for GET /api/v1/transactions/.

Every filter validates its value: a malformed one (a date that is not a date, an account
that is not yours, an unknown kind, category or ordering) is a 400 naming the parameter,
never a 500 and never silently ignored.
"""

from django import forms
from django.db.models import Q
from django_filters import rest_framework as filters
from django_filters.filters import QuerySetRequestMixin
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import BankAccount
from smartbank.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS
from transactions import selectors
from transactions.models import Category, Transaction

# Bounds the work one search does; longer queries are almost certainly not typed by a person.
MAX_SEARCH_TERMS = 10


def _own_accounts(request):
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return BankAccount.objects.none()
    return selectors.bank_accounts_for_user(user=user)


def own_categories(request):
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return Category.objects.none()
    return selectors.categories_for_user(user=user)


class CategorySlugsField(forms.CharField):
    """Comma-separated category slugs, each a default category or one of the user's own."""

    def __init__(self, *, queryset=None, **kwargs):
        self.queryset = queryset
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return []
        slugs = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        if not slugs:
            return []
        known = set(self.queryset.filter(slug__in=slugs).values_list("slug", flat=True))
        unknown = [slug for slug in slugs if slug not in known]
        if unknown:
            raise forms.ValidationError(
                "Unknown category: %(slugs)s.",
                code="invalid_choice",
                params={"slugs": ", ".join(unknown)},
            )
        return slugs


@extend_schema_field(OpenApiTypes.STR)
class CategorySlugsFilter(QuerySetRequestMixin, filters.Filter):
    field_class = CategorySlugsField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(category__slug__in=value)


class StableOrderingFilter(filters.OrderingFilter):
    """Orders as asked, then by id, so equal values never shuffle rows between pages."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value if param]
        if not any(field.lstrip("-") == "id" for field in ordering):
            ordering.append("-id")
        return qs.order_by(*ordering)


def _money_filter(lookup_expr: str, help_text: str) -> filters.NumberFilter:
    # Bounded like the column, so a value such as 1e400 is a 400 rather than a database error.
    return filters.NumberFilter(
        field_name="amount",
        lookup_expr=lookup_expr,
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        help_text=help_text,
    )


class TransactionFilter(filters.FilterSet):
    account = filters.ModelChoiceFilter(
        queryset=_own_accounts,
        error_messages={"invalid_choice": "Account not found."},
        help_text="Only this account's transactions (the id of one of your accounts).",
    )
    date_from = filters.DateFilter(
        field_name="txn_date", lookup_expr="gte", help_text="txn_date on or after (YYYY-MM-DD)."
    )
    date_to = filters.DateFilter(
        field_name="txn_date", lookup_expr="lte", help_text="txn_date on or before (YYYY-MM-DD)."
    )
    start_date = filters.DateFilter(
        field_name="txn_date", lookup_expr="gte", help_text="Alias of date_from."
    )
    end_date = filters.DateFilter(
        field_name="txn_date", lookup_expr="lte", help_text="Alias of date_to."
    )
    amount_min = _money_filter(
        "gte", "Signed amount at least this, e.g. -100.00 (expenses of 100 or less, and income)."
    )
    amount_max = _money_filter("lte", "Signed amount at most this, e.g. -0.01 (money out only).")
    merchant = filters.CharFilter(
        lookup_expr="icontains", help_text="Merchant contains this (case-insensitive)."
    )
    category = CategorySlugsFilter(
        queryset=own_categories,
        help_text="A category slug, e.g. groceries (a default category or one of yours).",
    )
    categories = CategorySlugsFilter(
        queryset=own_categories,
        help_text="Comma-separated category slugs, e.g. groceries,dining: any of them.",
    )
    kind = filters.ChoiceFilter(
        choices=Transaction.Kind.choices, help_text="income, expense or transfer."
    )
    q = filters.CharFilter(
        method="search",
        help_text="Text search: every word must appear in the description, merchant or notes.",
    )
    ordering = StableOrderingFilter(
        fields=["txn_date", "amount", "posted_date", "created_at", "merchant"],
        help_text="Comma-separated fields, '-' for descending: txn_date, amount, posted_date, "
        "created_at, merchant. Default -txn_date,-id.",
    )

    class Meta:
        model = Transaction
        fields: list[str] = []

    def search(self, queryset, name, value):
        terms = value.split()[:MAX_SEARCH_TERMS]
        for term in terms:
            queryset = queryset.filter(
                Q(description__icontains=term)
                | Q(merchant__icontains=term)
                | Q(notes__icontains=term)
            )
        return queryset

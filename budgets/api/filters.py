"""Query-string filters for GET /api/v1/budgets/: a malformed value is a 400 naming it."""

from datetime import date

from django import forms
from django_filters import rest_framework as filters

from budgets.models import Budget
from budgets.selectors import EARLIEST_YEAR, LATEST_YEAR
from transactions.api.filters import CategorySlugsFilter, own_categories


class IntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField


class BudgetFilter(filters.FilterSet):
    year = IntegerFilter(
        method="filter_period",
        min_value=EARLIEST_YEAR,
        max_value=LATEST_YEAR,
        help_text="Budgets of this year, e.g. 2025.",
    )
    month = IntegerFilter(
        method="filter_period",
        min_value=1,
        max_value=12,
        help_text="Budgets of this month number, 1-12; with year, that one month.",
    )
    category = CategorySlugsFilter(
        queryset=own_categories,
        help_text="Category slugs, comma-separated, e.g. groceries,dining.",
    )

    class Meta:
        model = Budget
        fields: list[str] = []

    def filter_period(self, queryset, name, value):
        # Year and month are applied together in filter_queryset, as one range.
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        year = self.form.cleaned_data.get("year")
        month = self.form.cleaned_data.get("month")
        if year is not None and month is not None:
            return queryset.filter(month=date(year, month, 1))
        if year is not None:
            # A range rather than __year, so the (user, month) index serves it.
            return queryset.filter(month__gte=date(year, 1, 1), month__lte=date(year, 12, 1))
        if month is not None:
            return queryset.filter(month__month=month)
        return queryset

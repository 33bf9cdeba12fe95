from django_filters import rest_framework as filters

from accounts.models import BankAccount
from accounts.selectors import ArchivedState, bank_accounts_filter_archived


class BankAccountFilter(filters.FilterSet):
    archived = filters.ChoiceFilter(
        choices=ArchivedState.choices,
        method="filter_archived",
        help_text=(
            "Which accounts to list: `false` (the default) active accounts only, "
            "`true` archived accounts only, `all` both."
        ),
    )
    account_type = filters.MultipleChoiceFilter(
        choices=BankAccount.Type.choices,
        help_text="Only accounts of this type; repeat the parameter for several types.",
    )
    currency = filters.CharFilter(
        method="filter_currency", help_text="Only accounts in this ISO 4217 currency, e.g. EUR."
    )

    class Meta:
        model = BankAccount
        fields = ["archived", "account_type", "currency"]

    def filter_archived(self, queryset, name, value):
        # Applied in filter_queryset, so that an absent parameter still means "active only".
        return queryset

    def filter_currency(self, queryset, name, value):
        return queryset.filter(currency=value.strip().upper())

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        state = self.form.cleaned_data.get("archived") or ArchivedState.ACTIVE
        return bank_accounts_filter_archived(queryset, state)

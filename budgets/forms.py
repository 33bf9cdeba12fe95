"""Staff console forms for budgets, saved through budgets.services (validated and audited).

See smartbank.admin.ServiceFormMixin for how a service error becomes a form error.
"""

from typing import Any

from django import forms

from budgets.models import Budget
from budgets.services import BUDGET_EDITABLE_FIELDS, budget_create, budget_update
from smartbank.admin import ServiceFormMixin
from transactions.models import TRANSFER_CATEGORY_SLUG, Category


class CategoryChoiceField(forms.ModelChoiceField):
    """Names alone are ambiguous: customers' own categories show whose they are."""

    def label_from_instance(self, obj: Category) -> str:
        return obj.name if obj.user_id is None else f"{obj.name} ({obj.user.email})"


def _category_field(queryset) -> CategoryChoiceField:
    queryset = queryset.exclude(user__isnull=True, slug=TRANSFER_CATEGORY_SLUG)
    return CategoryChoiceField(queryset=queryset.select_related("user").order_by("user_id", "name"))


_HELP_TEXTS = {
    "month": "Any day of the month; the budget is stored for the month's first day.",
    "amount": "The limit, in the customer's base currency (set when the budget is made).",
}


class _BudgetServiceForm(ServiceFormMixin, forms.ModelForm):
    def _get_validation_exclusions(self) -> set[str]:
        # budgets.services validates and names the field at fault ("already have a budget
        # for Groceries in March 2025" on category); the model's own check would only
        # repeat its constraints, form-wide, before the month is normalised to the 1st.
        return {field.name for field in Budget._meta.fields}


class BudgetAdminCreationForm(_BudgetServiceForm):
    """A budget for a customer through budget_create: one per category and month."""

    class Meta:
        model = Budget
        fields = ("user", "category", "month", "amount")
        help_texts = _HELP_TEXTS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"] = _category_field(Category.objects.all())

    def apply(self) -> Budget:
        data = self.cleaned_data
        return budget_create(
            user=data["user"],
            category=data["category"],
            month=data["month"],
            amount=data["amount"],
            actor=self.actor,
        )


class BudgetAdminChangeForm(_BudgetServiceForm):
    """Edits through budget_update; the currency stays what it was made with."""

    class Meta:
        model = Budget
        fields = ("category", "month", "amount")
        help_texts = _HELP_TEXTS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"] = _category_field(
                Category.objects.for_user(self.instance.user_id)
            )

    def apply(self) -> Budget:
        fields = self.changed_values(BUDGET_EDITABLE_FIELDS)
        return budget_update(budget=self.instance, actor=self.actor, **fields)

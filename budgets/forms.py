"""Forms for budgets, saved through budgets.services (validated and audited): the staff
console's and the customer's web pages'.

See smartbank.admin.ServiceFormMixin for how a service error becomes a form error.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms

from budgets.models import Budget
from budgets.services import (
    BUDGET_EDITABLE_FIELDS,
    budget_create,
    budget_update,
    budgets_copy_month,
)
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


# --- The customer's web pages -----------------------------------------------------------


class MonthField(forms.Field):
    """A month typed as YYYY-MM (what <input type="month"> sends); cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    default_error_messages = {"invalid": "Enter a month as YYYY-MM, e.g. 2025-03."}

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value.replace(day=1)
        text = str(value).strip()
        try:
            year, month = (int(part) for part in text.split("-")[:2])
            if len(text) > 10:
                raise ValueError
            return date(year, month, 1)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        return value.strftime("%Y-%m") if isinstance(value, date) else value


def month_label(start: date) -> str:
    return start.strftime("%B %Y")


class OwnCategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return obj.name


class BudgetForm(ServiceFormMixin, forms.Form):
    """Set a budget (budget_create) or change one (budget_update, the fields that changed)."""

    category = OwnCategoryChoiceField(queryset=None)
    month = MonthField(help_text="The month this limit is for.")
    amount = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="The most you mean to spend in the category that month, in your base currency.",
    )

    def __init__(self, *args: Any, user, budget: Budget | None = None, **kwargs: Any) -> None:
        if budget is not None:
            kwargs.setdefault(
                "initial",
                {"category": budget.category_id, "month": budget.month, "amount": budget.amount},
            )
        super().__init__(*args, **kwargs)
        self.user = user
        self.budget = budget
        self.actor = user
        self.fields["category"].queryset = (
            Category.objects.for_user(user)
            .exclude(user__isnull=True, slug=TRANSFER_CATEGORY_SLUG)
            .order_by("name", "pk")
        )
        if budget is not None:
            self.fields["amount"].help_text = f"In {budget.currency}, the budget's currency."

    def apply(self) -> Budget:
        data = self.cleaned_data
        if self.budget is None:
            return budget_create(user=self.user, actor=self.actor, **data)
        fields = {name: data[name] for name in BUDGET_EDITABLE_FIELDS if name in self.changed_data}
        return budget_update(budget=self.budget, actor=self.actor, **fields)


class BudgetMonthForm(forms.Form):
    """Which month the budgets page shows (?month=YYYY-MM); the customer's month by default."""

    month = MonthField(required=False, label="Month")

    def clean_month(self) -> date | None:
        month = self.cleaned_data["month"]
        if month is not None and not 1900 <= month.year <= 9999:
            raise forms.ValidationError("The year must be from 1900 to 9999.")
        return month


class BudgetsCopyForm(ServiceFormMixin, forms.Form):
    """Copy the previous month's budgets into a month (budgets_copy_month)."""

    month = MonthField()

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.actor = user

    def apply(self) -> list[Budget]:
        month = self.cleaned_data["month"]
        return budgets_copy_month(
            user=self.user, year=month.year, month=month.month, actor=self.actor
        )

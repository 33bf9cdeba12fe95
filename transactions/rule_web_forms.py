"""Forms of the rules pages: a rule, and its conditions as rows of field, operator and value.

The forms only turn what the page sends into the service's arguments; every rule is checked
by transactions.rule_services (the same checks as the API), whose errors are put back
beside the field or condition row they name.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import BankAccount
from transactions.models import TRANSFER_CATEGORY_SLUG, CategorizationRule, Category
from transactions.rules import FIELDS, MAX_CONDITIONS, OPERATORS

FIELD_LABELS = {
    "description": "Description",
    "merchant": "Merchant",
    "amount": "Amount",
    "account": "Account",
}
OPERATOR_LABELS = {
    "contains": "contains",
    "equals": "is",
    "starts_with": "starts with",
    "regex": "matches the pattern",
    "gt": "is more than",
    "lt": "is less than",
}
# Blank rows shown under a rule's conditions, so a condition can be added without script.
BLANK_CONDITION_ROWS = 2


class RuleForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100)
    match = forms.ChoiceField(
        label="A transaction matches when",
        choices=[("all", "all the conditions hold"), ("any", "any condition holds")],
        widget=forms.RadioSelect,
        initial="all",
    )
    set_category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        label="Set the category to",
        empty_label="(leave the category)",
        error_messages={"invalid_choice": "Choose one of your categories."},
    )
    set_merchant = forms.CharField(
        label="Set the merchant to",
        max_length=255,
        required=False,
        help_text="e.g. tidy “AMZN MKTP UK*2X4” into “Amazon”. Empty: leave the merchant.",
    )
    stop_processing = forms.BooleanField(
        label="Stop here: later rules do not run on a transaction this rule matches",
        required=False,
    )
    priority = forms.IntegerField(
        label="Priority",
        min_value=0,
        max_value=1_000_000,
        initial=100,
        help_text="Rules run from the lowest number up.",
    )
    is_active = forms.BooleanField(
        label="Active: runs on new and imported transactions", required=False, initial=True
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["set_category"].queryset = (
            Category.objects.for_user(user)
            .exclude(user__isnull=True, slug=TRANSFER_CATEGORY_SLUG)
            .order_by("name", "pk")
        )

    def service_values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in (
                "name",
                "match",
                "set_category",
                "set_merchant",
                "stop_processing",
                "priority",
                "is_active",
            )
        }

    @classmethod
    def initial_for(cls, rule: CategorizationRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "match": rule.match,
            "set_category": rule.set_category_id,
            "set_merchant": rule.set_merchant,
            "stop_processing": rule.stop_processing,
            "priority": rule.priority,
            "is_active": rule.is_active,
        }


class ConditionForm(forms.Form):
    field = forms.ChoiceField(
        label="Field", choices=[("", "—")] + [(f, FIELD_LABELS[f]) for f in FIELDS], required=False
    )
    operator = forms.ChoiceField(
        label="Operator",
        choices=[(op, OPERATOR_LABELS[op]) for op in OPERATORS],
        required=False,
    )
    value = forms.CharField(
        label="Value",
        max_length=255,
        required=False,
        strip=False,
        help_text="Text, a pattern, or an amount such as -50.00 (money out is negative).",
    )
    account = forms.TypedChoiceField(
        label="Account (for the account field)", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, account_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        # One list for every row: the accounts are read once per page, not once per row.
        self.fields["account"].choices = [("", "—")] + list(account_choices)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("field") and (cleaned.get("value") or cleaned.get("account")):
            self.add_error("field", "Choose the field this condition looks at.")
        return cleaned

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("field")

    def condition(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["field"] == "account":
            return {
                "field": "account",
                "operator": data["operator"],
                "value": data["account"] if data["account"] is not None else "",
            }
        return {"field": data["field"], "operator": data["operator"], "value": data["value"]}


class BaseConditionFormSet(forms.BaseFormSet):
    def __init__(self, *args, account_choices=(), **kwargs):
        self.account_choices = account_choices
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "account_choices": self.account_choices}

    def filled_forms(self) -> list[ConditionForm]:
        """The rows with a field chosen, in order: condition N of the service is the N-th."""
        return [form for form in self.forms if not form.is_blank]

    def conditions(self) -> list[dict[str, Any]]:
        return [form.condition() for form in self.filled_forms()]

    def add_service_errors(self, messages: list[str]) -> None:
        """Put each "Condition N: ..." message beside the N-th filled row."""
        filled = self.filled_forms()
        for message in messages:
            head, _, rest = message.partition(": ")
            number = head.removeprefix("Condition ")
            if number.isdigit() and 0 < int(number) <= len(filled):
                filled[int(number) - 1].add_error(None, rest[:1].upper() + rest[1:])
            else:
                self._non_form_errors = self.error_class(
                    [*self.non_form_errors(), message], renderer=self.renderer
                )


ConditionFormSet = forms.formset_factory(
    ConditionForm,
    formset=BaseConditionFormSet,
    extra=BLANK_CONDITION_ROWS,
    max_num=MAX_CONDITIONS,
    validate_max=True,
    absolute_max=MAX_CONDITIONS + BLANK_CONDITION_ROWS,
)


def account_choices(user) -> list[tuple[int, str]]:
    return [
        (pk, f"{name} ({currency})")
        for pk, name, currency in BankAccount.objects.for_user(user)
        .order_by("name", "pk")
        .values_list("pk", "name", "currency")
    ]


def condition_initial(rule: CategorizationRule) -> list[dict[str, Any]]:
    return [
        {
            "field": c["field"],
            "operator": c["operator"],
            "value": "" if c["field"] == "account" else c["value"],
            "account": c["value"] if c["field"] == "account" else None,
        }
        for c in rule.conditions
    ]


def put_service_errors(
    exc: ValidationError, *, form: RuleForm, conditions: BaseConditionFormSet
) -> None:
    """A service ValidationError onto the forms: beside the field or condition it names."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        if name == "conditions":
            conditions.add_service_errors(errors)
        elif name in form.fields:
            form.add_error(name, errors)
        elif name == "actions":
            # The rule would do nothing; no one field is wrong.
            form.add_error(
                None, "Choose what the rule does: set a category, set a merchant, or stop here."
            )
        else:
            form.add_error(None, errors)

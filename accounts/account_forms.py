"""Forms of the customer's bank account pages; they write through accounts.services."""

from typing import Any

from django import forms

from accounts.models import BankAccount, User
from accounts.services import ACCOUNT_EDITABLE_FIELDS, account_create, account_update
from smartbank.admin import ServiceFormMixin
from smartbank.money import (
    MONEY_DECIMAL_PLACES,
    MONEY_MAX_DIGITS,
    is_currency_code,
    normalize_currency_code,
)


def money_form_field(**kwargs: Any) -> forms.DecimalField:
    """A money amount bounded like its column, so a huge value is a field error."""
    return forms.DecimalField(
        max_digits=MONEY_MAX_DIGITS,
        decimal_places=MONEY_DECIMAL_PLACES,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BankAccountForm(ServiceFormMixin, forms.Form):
    """Open an account (account_create) or change one (account_update, changed fields only)."""

    name = forms.CharField(
        max_length=100, label="Name", help_text="e.g. Everyday, Holiday savings."
    )
    bank_name = forms.CharField(max_length=100, required=False, label="Bank")
    account_type = forms.ChoiceField(choices=BankAccount.Type.choices, label="Type")
    account_number = forms.CharField(
        max_length=64,
        required=False,
        label="Account number",
        help_text="Optional. Only its last four characters are kept.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    currency = forms.CharField(max_length=3, label="Currency", help_text="ISO 4217 code, e.g. EUR.")
    opening_balance = money_form_field(
        initial="0.00",
        label="Opening balance",
        help_text="The balance on the opening date; a loan's is negative.",
    )
    opening_date = forms.DateField(label="Opening date", widget=DateInput())
    credit_limit = money_form_field(
        required=False,
        min_value=0,
        label="Credit limit",
        help_text="Optional: how far below zero the balance may go.",
    )

    def __init__(self, *args: Any, user: User, account: BankAccount | None = None, **kwargs):
        if account is not None:
            kwargs["initial"] = {
                name: getattr(account, name)
                for name in ACCOUNT_EDITABLE_FIELDS
                if name not in ("account_number", "is_archived")
            }
        else:
            kwargs.setdefault("initial", {})
            kwargs["initial"].setdefault("currency", user.base_currency)
            kwargs["initial"].setdefault("opening_date", user.today())
        super().__init__(*args, **kwargs)
        self.user = user
        self.account = account
        self.actor = user
        if account is not None and account.number_last4:
            self.fields[
                "account_number"
            ].help_text = f"Now ends in {account.number_last4}. Leave empty to keep it."

    def clean_currency(self) -> str:
        code = normalize_currency_code(self.cleaned_data["currency"])
        if not is_currency_code(code):
            raise forms.ValidationError(f"{code[:10]} is not an ISO 4217 currency code.")
        return code

    def apply(self) -> BankAccount:
        data = dict(self.cleaned_data)
        if self.account is None:
            return account_create(user=self.user, actor=self.user, **data)
        changed = self.changed_values(ACCOUNT_EDITABLE_FIELDS)
        if not changed.get("account_number"):
            changed.pop("account_number", None)
        return account_update(account=self.account, actor=self.user, **changed)

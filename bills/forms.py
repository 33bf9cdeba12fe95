"""Staff console forms for bills, saved through bills.services (validated, audited).

See smartbank.admin.ServiceFormMixin for how a service error becomes a form error.
"""

from typing import Any

from django import forms

from bills.models import Bill
from bills.services import BILL_EDITABLE_FIELDS, bill_create, bill_update
from smartbank.admin import ServiceFormMixin


class BillAdminCreationForm(ServiceFormMixin, forms.ModelForm):
    """A customer's new bill through bill_create."""

    class Meta:
        model = Bill
        fields = ("user", *BILL_EDITABLE_FIELDS)
        help_texts = {
            "currency": "Optional: the account's currency, else the customer's base currency.",
            "account": "One of the customer's open accounts, in the bill's currency.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].required = False

    def apply(self) -> Bill:
        data = self.cleaned_data
        return bill_create(
            user=data["user"],
            biller=data["biller"],
            amount_due=data["amount_due"],
            currency=data.get("currency") or None,
            due_date=data["due_date"],
            recurrence=data["recurrence"],
            autopay=data.get("autopay", False),
            account=data.get("account"),
            category=data.get("category"),
            notice_days=data["notice_days"],
            actor=self.actor,
        )


class BillAdminChangeForm(ServiceFormMixin, forms.ModelForm):
    """Edits through bill_update. The amount and currency are read-only here (money)."""

    class Meta:
        model = Bill
        fields = (
            "biller",
            "due_date",
            "recurrence",
            "autopay",
            "account",
            "category",
            "notice_days",
        )

    def apply(self) -> Bill:
        fields = self.changed_values(BILL_EDITABLE_FIELDS)
        return bill_update(bill=self.instance, actor=self.actor, **fields)

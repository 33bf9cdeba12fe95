"""Forms for bills, saved through bills.services (validated, audited): the staff console's
and the customer's web pages'.

See smartbank.admin.ServiceFormMixin for how a service error becomes a form error.
"""

from decimal import Decimal
from typing import Any

from django import forms

from bills.models import NOTICE_DAYS_DEFAULT, NOTICE_DAYS_MAX, Bill, Recurrence
from bills.services import BILL_EDITABLE_FIELDS, bill_create, bill_pay, bill_update
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


# --- The customer's web pages -----------------------------------------------------------


class OwnAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.currency})"


def _own_accounts(user):
    from accounts.models import BankAccount

    return BankAccount.objects.for_user(user).active().order_by("name", "pk")


def _own_categories(user):
    from transactions.models import TRANSFER_CATEGORY_SLUG, Category

    return (
        Category.objects.for_user(user)
        .exclude(user__isnull=True, slug=TRANSFER_CATEGORY_SLUG)
        .order_by("name", "pk")
    )


class BillForm(ServiceFormMixin, forms.Form):
    """Add a bill (bill_create) or edit one (bill_update, only the fields that changed).

    Choices are the customer's own open accounts and their categories, so another
    customer's id is refused as an invalid choice before any service runs.
    """

    biller = forms.CharField(max_length=100, help_text="Who the bill is paid to.")
    amount_due = forms.DecimalField(
        label="Amount due",
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Positive, e.g. 49.99.",
    )
    currency = forms.CharField(
        max_length=3,
        required=False,
        help_text="Leave empty for the account's currency, else your base currency.",
    )
    due_date = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))
    recurrence = forms.ChoiceField(choices=Recurrence.choices, initial=Recurrence.MONTHLY)
    account = OwnAccountChoiceField(
        queryset=None,
        required=False,
        label="Pay from",
        help_text="One of your open accounts in the bill's currency; needed for auto-pay.",
    )
    autopay = forms.BooleanField(
        required=False,
        label="Auto-pay",
        help_text="Pay it from the account on its due date.",
    )
    category = forms.ModelChoiceField(queryset=None, required=False)
    notice_days = forms.IntegerField(
        label="Days of notice",
        min_value=0,
        max_value=NOTICE_DAYS_MAX,
        initial=NOTICE_DAYS_DEFAULT,
        help_text=f"Days before the due date a reminder goes out, 0 to {NOTICE_DAYS_MAX}.",
    )

    def __init__(self, *args: Any, user, bill: Bill | None = None, **kwargs: Any) -> None:
        if bill is not None:
            kwargs.setdefault(
                "initial", {name: getattr(bill, name) for name in BILL_EDITABLE_FIELDS}
            )
        super().__init__(*args, **kwargs)
        self.user = user
        self.bill = bill
        self.actor = user
        self.fields["account"].queryset = _own_accounts(user)
        self.fields["category"].queryset = _own_categories(user)

    def apply(self) -> Bill:
        data = dict(self.cleaned_data)
        data["currency"] = (data.get("currency") or "").strip() or None
        if self.bill is None:
            return bill_create(user=self.user, actor=self.actor, **data)
        if data["currency"] is None:
            data["currency"] = data["account"].currency if data["account"] else self.bill.currency
        fields = {name: data[name] for name in BILL_EDITABLE_FIELDS if name in self.changed_data}
        if "currency" in self.changed_data or "account" in self.changed_data:
            fields["currency"] = data["currency"]
        return bill_update(bill=self.bill, actor=self.actor, **fields)


class BillPayForm(ServiceFormMixin, forms.Form):
    """Pay a bill now through bill_pay, from the chosen account (the bill's own by default)."""

    account = OwnAccountChoiceField(
        queryset=None,
        required=False,
        label="Pay from",
        empty_label="The bill's account",
        help_text="The amount due leaves this account today.",
    )

    def __init__(self, *args: Any, user, bill: Bill, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bill = bill
        self.actor = user
        self.fields["account"].queryset = _own_accounts(user).filter(currency=bill.currency)
        if bill.account_id is None:
            self.fields["account"].empty_label = None
            self.fields["account"].required = True

    def apply(self) -> Bill:
        return bill_pay(bill=self.bill, account=self.cleaned_data.get("account"), actor=self.actor)


class BillAutopayForm(ServiceFormMixin, forms.Form):
    """Turn auto-pay on or off through bill_update."""

    autopay = forms.TypedChoiceField(
        choices=(("on", "on"), ("off", "off")), coerce=lambda value: value == "on"
    )

    def __init__(self, *args: Any, user, bill: Bill, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.bill = bill
        self.actor = user

    def apply(self) -> Bill:
        return bill_update(bill=self.bill, actor=self.actor, autopay=self.cleaned_data["autopay"])

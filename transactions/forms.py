"""Staff console forms for transactions and categories, saved through transactions.services.

Every transaction write goes through the ledger (transaction_create / transaction_update),
so balances stay equal to opening balance + sum of transactions and staff changes are
audited. See smartbank.admin.ServiceFormMixin for how a service error becomes a form error.
"""

from decimal import Decimal
from typing import Any

from django import forms

from accounts.services import audit_if_staff
from smartbank.admin import ServiceFormMixin
from transactions.models import Category, Transaction
from transactions.services import (
    TRANSACTION_EDITABLE_FIELDS,
    category_create,
    category_update,
    transaction_create,
    transaction_update,
)


class CategoryChoiceField(forms.ModelChoiceField):
    """Names alone are ambiguous: customers' own categories show whose they are."""

    def label_from_instance(self, obj: Category) -> str:
        return obj.name if obj.user_id is None else f"{obj.name} ({obj.user.email})"


def _category_field(queryset) -> CategoryChoiceField:
    return CategoryChoiceField(
        queryset=queryset.select_related("user").order_by("user_id", "name"), required=False
    )


class TransactionAdminCreationForm(ServiceFormMixin, forms.ModelForm):
    """A new income or expense through transaction_create; its kind follows the amount's sign.

    Transfers are two linked legs and are made through the API, not here.
    """

    class Meta:
        model = Transaction
        fields = (
            "account",
            "amount",
            "txn_date",
            "posted_date",
            "description",
            "merchant",
            "category",
            "notes",
        )
        help_texts = {"amount": "Signed: money in is positive, money out negative."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"] = _category_field(Category.objects.all())

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise forms.ValidationError("The amount cannot be zero.")
        return amount

    def apply(self) -> Transaction:
        data = self.cleaned_data
        account = data["account"]
        return transaction_create(
            user=account.user,
            account=account,
            amount=data["amount"],
            txn_date=data["txn_date"],
            posted_date=data.get("posted_date"),
            description=data.get("description", ""),
            merchant=data.get("merchant", ""),
            category=data.get("category"),
            notes=data.get("notes", ""),
            actor=self.actor,
        )


class TransactionAdminChangeForm(ServiceFormMixin, forms.ModelForm):
    """Edits through transaction_update. Amount, account and kind are read-only here: a
    wrong amount is corrected by deleting the row and recording it again."""

    class Meta:
        model = Transaction
        fields = ("txn_date", "posted_date", "description", "merchant", "category", "notes")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "category" in self.fields:
            self.fields["category"] = _category_field(
                Category.objects.for_user(self.instance.user_id)
            )

    def apply(self) -> Transaction:
        fields = self.changed_values(TRANSACTION_EDITABLE_FIELDS)
        return transaction_update(transaction=self.instance, actor=self.actor, **fields)


class CategoryAdminCreationForm(ServiceFormMixin, forms.ModelForm):
    """One of a customer's own categories, through category_create. The defaults come from
    a data migration."""

    class Meta:
        model = Category
        fields = ("user", "name", "slug")
        help_texts = {"slug": "Optional: made from the name when empty. Clients file by it."}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].required = True
        self.fields["slug"].required = False

    def apply(self) -> Category:
        data = self.cleaned_data
        category = category_create(user=data["user"], name=data["name"], slug=data.get("slug", ""))
        audit_if_staff(
            actor=self.actor,
            owner=category.user,
            action="category.create",
            target=category,
            changes={"slug": (None, category.slug), "name": (None, category.name)},
        )
        return category


class CategoryAdminChangeForm(ServiceFormMixin, forms.ModelForm):
    class Meta:
        model = Category
        fields = ("name",)

    def apply(self) -> Category:
        category = Category.objects.get(pk=self.instance.pk)
        return category_update(category=category, name=self.cleaned_data["name"], actor=self.actor)

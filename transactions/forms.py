"""Staff console forms for transactions and categories, saved through transactions.services.

Every transaction write goes through the ledger (transaction_create / transaction_update),
so balances stay equal to opening balance + sum of transactions and staff changes are
audited. See smartbank.admin.ServiceFormMixin for how a service error becomes a form error.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import F, Q

from accounts.account_forms import DateInput, money_form_field
from accounts.models import BankAccount, User
from accounts.services import audit_if_staff
from smartbank.admin import ServiceFormMixin
from transactions import selectors
from transactions.models import TRANSFER_CATEGORY_SLUG, Category, Transaction
from transactions.services import (
    TRANSACTION_EDITABLE_FIELDS,
    TRANSFER_EDITABLE_FIELDS,
    category_create,
    category_update,
    transaction_create,
    transaction_update,
    transfer_create,
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


# --- The customer's web pages ---------------------------------------------------------------


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: BankAccount) -> str:
        return f"{obj.name} ({obj.currency})"


def _open_accounts(user: User):
    return selectors.bank_accounts_for_user(user=user).filter(is_archived=False).order_by("name")


def filing_categories(user: User):
    """The categories a customer may file an income or expense under (not transfers)."""
    return (
        selectors.categories_for_user(user=user)
        .exclude(user=None, slug=TRANSFER_CATEGORY_SLUG)
        .order_by("name", "id")
    )


class TransactionForm(ServiceFormMixin, forms.Form):
    """A customer's income or expense, added with transaction_create or edited with
    transaction_update. The amount is typed as a positive number and takes its sign from
    the kind, so nobody has to remember that money out is negative."""

    account = AccountChoiceField(queryset=BankAccount.objects.none(), label="Account")
    kind = forms.ChoiceField(
        choices=[(Transaction.Kind.EXPENSE, "Money out"), (Transaction.Kind.INCOME, "Money in")],
        label="Kind",
    )
    amount = money_form_field(
        min_value=Decimal("0.01"), label="Amount", help_text="In the account's currency."
    )
    txn_date = forms.DateField(label="Date", widget=DateInput())
    description = forms.CharField(max_length=255, required=False, label="Description")
    merchant = forms.CharField(max_length=255, required=False, label="Merchant")
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        label="Category",
        empty_label="Uncategorised",
    )
    notes = forms.CharField(required=False, label="Notes", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: User, transaction: Transaction | None = None, **kwargs):
        if transaction is not None:
            kwargs["initial"] = {
                "account": transaction.account_id,
                "kind": transaction.kind,
                "amount": abs(transaction.amount),
                "txn_date": transaction.txn_date,
                "description": transaction.description,
                "merchant": transaction.merchant,
                "category": transaction.category_id,
                "notes": transaction.notes,
            }
        else:
            kwargs.setdefault("initial", {}).setdefault("txn_date", user.today())
        super().__init__(*args, **kwargs)
        self.user = self.actor = user
        self.transaction = transaction
        accounts = _open_accounts(user)
        if transaction is not None:
            # The transaction's own account stays a choice even once archived.
            accounts = selectors.bank_accounts_for_user(user=user).filter(
                Q(is_archived=False) | Q(pk=transaction.account_id)
            )
        self.fields["account"].queryset = accounts.order_by("name")
        self.fields["category"].queryset = filing_categories(user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("amount") is not None and cleaned.get("kind") == Transaction.Kind.EXPENSE:
            cleaned["amount"] = -cleaned["amount"]
        return cleaned

    def apply(self) -> Transaction:
        data = self.cleaned_data
        if self.transaction is None:
            return transaction_create(user=self.user, actor=self.user, **data)
        fields = {name: data[name] for name in TRANSACTION_EDITABLE_FIELDS if name in data}
        return transaction_update(transaction=self.transaction, actor=self.user, **fields)


class TransferLegForm(ServiceFormMixin, forms.Form):
    """One leg of a transfer: only what keeps the two legs a matching pair may change."""

    txn_date = forms.DateField(label="Date", widget=DateInput())
    description = forms.CharField(max_length=255, required=False, label="Description")
    merchant = forms.CharField(max_length=255, required=False, label="Merchant")
    notes = forms.CharField(required=False, label="Notes", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: User, transaction: Transaction, **kwargs):
        kwargs["initial"] = {name: getattr(transaction, name) for name in self.base_fields}
        super().__init__(*args, **kwargs)
        self.user = self.actor = user
        self.transaction = transaction

    def apply(self) -> Transaction:
        fields = self.changed_values(TRANSFER_EDITABLE_FIELDS)
        return transaction_update(transaction=self.transaction, actor=self.user, **fields)


class TransferForm(ServiceFormMixin, forms.Form):
    """Money between two of the customer's own accounts, through transfer_create."""

    from_account = AccountChoiceField(queryset=BankAccount.objects.none(), label="From")
    to_account = AccountChoiceField(queryset=BankAccount.objects.none(), label="To")
    amount = money_form_field(
        min_value=Decimal("0.01"), label="Amount sent", help_text="In the currency of “From”."
    )
    amount_received = money_form_field(
        required=False,
        min_value=Decimal("0.01"),
        label="Amount received",
        help_text="Only between two currencies: what arrives, in the currency of “To”.",
    )
    txn_date = forms.DateField(label="Date", widget=DateInput())
    description = forms.CharField(max_length=255, required=False, label="Description")
    notes = forms.CharField(required=False, label="Notes", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: User, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("txn_date", user.today())
        super().__init__(*args, **kwargs)
        self.user = self.actor = user
        for name in ("from_account", "to_account"):
            self.fields[name].queryset = _open_accounts(user)

    def apply(self):
        return transfer_create(user=self.user, actor=self.user, **self.cleaned_data)


class CategoryBySlugField(forms.CharField):
    """A category slug the customer may file under; empty means uncategorised."""

    def __init__(self, *, user: User, **kwargs: Any) -> None:
        super().__init__(required=False, max_length=50, **kwargs)
        self.user = user

    def clean(self, value: Any) -> Category | None:
        slug = super().clean(value)
        if not slug:
            return None
        category = (
            filing_categories(self.user)
            .filter(slug=slug)
            .order_by(F("user_id").desc(nulls_last=True))
            .first()
        )
        if category is None:
            raise forms.ValidationError("Choose one of your categories.")
        return category


class TransactionIdsField(forms.Field):
    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_ids: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_ids = max_ids

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        ids = []
        for raw in values:
            text = str(raw).strip()
            if not text.isdigit() or len(text) > 18:
                raise forms.ValidationError("Choose transactions from the list.")
            ids.append(int(text))
        return list(dict.fromkeys(ids))

    def validate(self, value: list[int]) -> None:
        if not value:
            raise forms.ValidationError("Tick at least one transaction.")
        if len(value) > self.max_ids:
            raise forms.ValidationError(f"At most {self.max_ids} transactions at once.")


class CategoryChoiceForm(forms.Form):
    """One row's category, set by hand (the fallback of the list's inline select)."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"] = CategoryBySlugField(user=user, label="Category")


class BulkCategoryForm(forms.Form):
    def __init__(self, *args: Any, user: User, max_ids: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ids"] = TransactionIdsField(max_ids=max_ids, label="Transactions")
        self.fields["category"] = CategoryBySlugField(user=user, label="New category")

"""Transaction and transfer serializers: parse and check shapes; the ledger services decide."""

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import BankAccount
from smartbank.api_fields import money_field
from smartbank.money import CENT
from transactions import selectors
from transactions.models import Category, CategorySource, Transaction

# A note is a reminder, not a document: bounded so a page of rows stays small.
NOTES_MAX_LENGTH = 2000

ACCOUNT_NOT_FOUND = "Account not found."


def _request_user(serializer_field):
    request = serializer_field.context.get("request")
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


@extend_schema_field(OpenApiTypes.INT)
class OwnAccountField(serializers.PrimaryKeyRelatedField):
    """An account id that must be one of the requesting user's accounts."""

    default_error_messages = {
        "required": "This field is required.",
        "does_not_exist": ACCOUNT_NOT_FOUND,
        "incorrect_type": "An account id is a whole number, not {data_type}.",
    }

    def to_internal_value(self, data):
        # PrimaryKeyRelatedField would read 1.5 as account 1.
        if (
            isinstance(data, bool)
            or not isinstance(data, int | str)
            or (isinstance(data, str) and not data.strip().isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)

    def get_queryset(self) -> QuerySet[BankAccount]:
        user = _request_user(self)
        if user is None:
            return BankAccount.objects.none()
        return selectors.bank_accounts_for_user(user=user)


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "description": "The category's slug, e.g. `groceries`: a default category or one of yours.",
        "example": "groceries",
    }
)
class CategorySlugField(serializers.RelatedField):
    """A category written and read as its slug; only defaults and the user's own exist."""

    default_error_messages = {
        "does_not_exist": "Category {slug!r} not found.",
        "invalid": "A category is given by its slug, a string such as 'groceries'.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Category.objects.none())
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Category:
        # A slug is short and plain; refusing others here also keeps NUL bytes, which
        # PostgreSQL cannot compare, out of the query.
        if not isinstance(data, str) or not data.strip() or "\x00" in data or len(data) > 50:
            self.fail("invalid")
        user = _request_user(self)
        category = selectors.category_by_slug(user=user, slug=data.strip()) if user else None
        if category is None:
            self.fail("does_not_exist", slug=data.strip())
        return category

    def to_representation(self, value: Category) -> str:
        return value.slug


class TransactionSerializer(serializers.ModelSerializer):
    """One transaction. Writes go through transactions.services (the ledger)."""

    account = OwnAccountField(
        help_text="Id of one of your accounts. The amount is in that account's currency."
    )
    amount = money_field(
        help_text="Signed, from the account's point of view: negative is money out, e.g. "
        '"-12.50"; positive is money in. Two decimals at most; never zero.'
    )
    kind = serializers.ChoiceField(
        choices=Transaction.Kind.choices,
        required=False,
        help_text="Optional on write: derived from the sign (income > 0, expense < 0). If given "
        "it must agree with the sign. Transfers are made with POST /api/v1/transactions/transfer/.",
    )
    category = CategorySlugField(required=False, allow_null=True)
    txn_date = serializers.DateField(
        help_text="The day the transaction was made (ISO 8601). From 1900-01-01 to 366 days "
        "after your today."
    )
    posted_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The day the bank booked it; not before txn_date.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH)
    category_source = serializers.ChoiceField(
        choices=CategorySource.choices,
        read_only=True,
        help_text="Who chose the category: manual (you, one by one), bulk (you, many at once), "
        "rule, import, or none. Rules do not overwrite manual or bulk unless asked.",
    )
    counterpart = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="For a transfer leg: the id of the other leg."
    )

    class Meta:
        model = Transaction
        fields = [
            "id",
            "account",
            "amount",
            "currency",
            "kind",
            "description",
            "merchant",
            "category",
            "category_source",
            "txn_date",
            "posted_date",
            "notes",
            "external_id",
            "transfer_id",
            "counterpart",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "currency",
            "category_source",
            "external_id",
            "transfer_id",
            "counterpart",
            "created_at",
            "updated_at",
        ]

    def validate_kind(self, value):
        if value == Transaction.Kind.TRANSFER and self.instance is None:
            raise serializers.ValidationError(
                "Transfers are made with POST /api/v1/transactions/transfer/."
            )
        return value


class TransferInputSerializer(serializers.Serializer):
    """What POST /api/v1/transactions/transfer/ takes."""

    from_account = OwnAccountField(help_text="Id of your account the money leaves.")
    to_account = OwnAccountField(help_text="Id of your account the money arrives in.")
    amount = money_field(
        min_value=CENT,
        error_messages={"min_value": "The amount of a transfer must be positive."},
        help_text="Positive amount leaving from_account, in its currency.",
    )
    amount_received = money_field(
        required=False,
        allow_null=True,
        min_value=CENT,
        error_messages={"min_value": "The amount received must be positive."},
        help_text="Positive amount arriving in to_account, in its currency. Required when the "
        "currencies differ; when they match leave it out or send the same as amount.",
    )
    txn_date = serializers.DateField(
        help_text="Day of the transfer (ISO 8601). From 1900-01-01 to 366 days after your today."
    )
    posted_date = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text='Defaults to "Transfer to <account>" / "Transfer from <account>".',
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH)


class TransferSerializer(serializers.Serializer):
    """The two linked legs a transfer creates."""

    outgoing = TransactionSerializer(read_only=True, help_text="The leg leaving from_account.")
    incoming = TransactionSerializer(read_only=True, help_text="The leg arriving in to_account.")

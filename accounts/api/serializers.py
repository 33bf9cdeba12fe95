from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import BankAccount
from accounts.services import account_number_last4
from smartbank.api_fields import CurrencyField, money_field


class BankAccountSerializer(serializers.ModelSerializer):
    """A bank account as shown, and as changed by PUT/PATCH. The balance is never writable."""

    account_number = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=(
            "The full account number, card number or IBAN, or just its last four characters. "
            "Only the last four are stored; send an empty string to clear them."
        ),
    )
    masked_account = serializers.CharField(
        read_only=True, help_text='The last four characters, e.g. "•••• 4444".'
    )
    currency = CurrencyField()
    opening_balance = money_field(
        required=False,
        help_text=(
            "The balance on opening_date. Checking, savings and cash accounts cannot open below "
            "zero (or below minus their credit limit); a loan may."
        ),
    )
    balance = money_field(
        read_only=True, help_text="Opening balance plus every transaction; kept by the ledger."
    )
    credit_limit = money_field(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="How far below zero the balance may go; null for no credit.",
    )

    class Meta:
        model = BankAccount
        fields = [
            "id",
            "name",
            "bank_name",
            "account_type",
            "account_number",
            "masked_account",
            "currency",
            "opening_balance",
            "opening_date",
            "balance",
            "credit_limit",
            "is_archived",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_account_number(self, value: str) -> str:
        # Reduced to the last four here, so the full number goes no further than this request.
        if not value:
            return ""
        try:
            return account_number_last4(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict["account_number"]) from None


class BankAccountCreateSerializer(BankAccountSerializer):
    """What opening an account takes: an account opens active."""

    class Meta(BankAccountSerializer.Meta):
        read_only_fields = [*BankAccountSerializer.Meta.read_only_fields, "is_archived"]


class BankAccountArchivedSerializer(serializers.Serializer):
    """The answer to DELETE when the account had transactions and was archived instead."""

    detail = serializers.CharField()
    archived = serializers.BooleanField()
    account = BankAccountSerializer()

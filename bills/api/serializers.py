"""Bill serializers: parse and check shapes; bills.services decides."""

from rest_framework import serializers

from bills.models import NOTICE_DAYS_DEFAULT, NOTICE_DAYS_MAX, Bill, BillStatus, Recurrence
from bills.services import BILL_EDITABLE_FIELDS, BILLER_MAX_LENGTH
from smartbank.api_fields import CurrencyField, money_field
from smartbank.money import CENT
from transactions.api.serializers import CategorySlugField, OwnAccountField


class BillSerializer(serializers.ModelSerializer):
    """One bill as the API shows it, with its status as of your today."""

    amount_due = money_field(read_only=True)
    category = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, help_text="The category's slug, e.g. utilities."
    )
    status = serializers.ChoiceField(
        choices=BillStatus.choices,
        read_only=True,
        help_text="Derived, never stored: paid (a payment is linked), overdue (unpaid after "
        "the due date), due (unpaid, within the days of notice), upcoming.",
    )
    remind_on = serializers.DateField(
        read_only=True, help_text="The day the notice period opens: due_date - notice_days."
    )
    next_occurrence = serializers.SerializerMethodField(
        help_text="Id of the next occurrence of a recurring bill, once this one is paid."
    )

    class Meta:
        model = Bill
        fields = [
            "id",
            *BILL_EDITABLE_FIELDS,
            "status",
            "remind_on",
            "paid_transaction",
            "previous",
            "next_occurrence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_next_occurrence(self, bill: Bill) -> int | None:
        try:
            return bill.next_occurrence.pk
        except Bill.next_occurrence.RelatedObjectDoesNotExist:
            return None


class BillInputSerializer(serializers.Serializer):
    """What POST /api/v1/bills/ and PUT/PATCH /api/v1/bills/{id}/ take."""

    biller = serializers.CharField(
        max_length=BILLER_MAX_LENGTH,
        help_text="Who the bill is paid to; matched in payments' merchant.",
    )
    amount_due = money_field(
        min_value=CENT,
        error_messages={"min_value": "The amount due must be positive."},
        help_text='Positive, two decimals at most, e.g. "49.99".',
    )
    currency = CurrencyField(
        required=False,
        help_text="Defaults to the account's currency, else your base currency.",
    )
    due_date = serializers.DateField(
        help_text="ISO 8601. From 1900-01-01 to two years after your today."
    )
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, default=Recurrence.NONE)
    autopay = serializers.BooleanField(
        default=False, help_text="Pay it from the account on its due date (needs an account)."
    )
    account = OwnAccountField(
        required=False,
        allow_null=True,
        help_text="Id of one of your accounts, in the bill's currency, to pay it from.",
    )
    category = CategorySlugField(required=False, allow_null=True)
    notice_days = serializers.IntegerField(
        min_value=0,
        max_value=NOTICE_DAYS_MAX,
        default=NOTICE_DAYS_DEFAULT,
        help_text=f"Days before the due date a reminder goes out, 0 to {NOTICE_DAYS_MAX}.",
    )


class BillPayInputSerializer(serializers.Serializer):
    """What POST /api/v1/bills/{id}/pay/ takes."""

    account = OwnAccountField(
        required=False,
        allow_null=True,
        help_text="Id of your account to pay from; the bill's own account when left out.",
    )


class QueuedNotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    channel = serializers.CharField(read_only=True)
    recipient = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)


class BillReminderSerializer(serializers.Serializer):
    """What POST /api/v1/bills/{id}/send-reminder/ queued."""

    notifications = QueuedNotificationSerializer(
        many=True,
        read_only=True,
        help_text="One per channel you turned on for bill_due_soon alerts; empty when none is.",
    )

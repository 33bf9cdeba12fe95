"""Alert and alert-preference serializers."""

from decimal import Decimal

from rest_framework import serializers

from alerts.models import THRESHOLD_DEFAULTS, Alert, AlertType
from smartbank.api_fields import money_field
from smartbank.money import MONEY_MAX


class AlertSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "alert_type",
            "severity",
            "title",
            "message",
            "data",
            "key",
            "is_read",
            "read_at",
            "dismissed_at",
            "created_at",
        ]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Unread alerts on your list (not dismissed).")


class ReadAllSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text="How many alerts were marked read.")


class PreferenceSerializer(serializers.Serializer):
    """One alert type's preference, defaults filled."""

    alert_type = serializers.ChoiceField(choices=AlertType.choices)
    label = serializers.CharField()
    in_app = serializers.BooleanField(help_text="Shown in the app's alert list.")
    email = serializers.BooleanField(help_text="Sent by email.")
    sms = serializers.BooleanField(help_text="Sent by text message (needs a phone number).")
    threshold = money_field(
        allow_null=True,
        help_text="For low_balance and large_transaction: the amount, in currency (your base "
        "currency). null for the other types.",
    )
    currency = serializers.CharField(allow_null=True)
    customised = serializers.BooleanField(help_text="false: every value is the default.")


class PreferenceInputSerializer(serializers.Serializer):
    """PUT sets in_app, email and sms (threshold optional: left out or null is the default);
    PATCH sets what it names."""

    in_app = serializers.BooleanField()
    email = serializers.BooleanField()
    sms = serializers.BooleanField()
    threshold = money_field(
        required=False,
        allow_null=True,
        min_value=Decimal("0.00"),
        max_value=MONEY_MAX,
        help_text="Only for low_balance and large_transaction: an amount in your base "
        'currency, e.g. "250.00"; null goes back to the default.',
    )

    def validate_threshold(self, value):
        alert_type = self.context["alert_type"]
        if value is not None and alert_type not in THRESHOLD_DEFAULTS:
            names = " and ".join(sorted(THRESHOLD_DEFAULTS))
            raise serializers.ValidationError(f"Only {names} alerts have a threshold.")
        return value

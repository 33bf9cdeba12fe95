"""Reward programme serializers: parse and check shapes; rewards.services decides."""

import re

from rest_framework import serializers

from rewards.models import PointsEntry, PointsSource, RewardProgramme
from rewards.services import POINTS_MAX
from smartbank.api_fields import CurrencyField, money_field
from transactions.api.serializers import OwnAccountField

_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,20}")


class PointsField(serializers.IntegerField):
    """A whole number of points: 500 or "500"; never 1.5, "1.5", 1.0 or true."""

    default_error_messages = {"invalid": "Points are a whole number, such as 500."}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", POINTS_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str) and not _WHOLE_NUMBER.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class RewardProgrammeSerializer(serializers.ModelSerializer):
    balance = serializers.IntegerField(
        read_only=True, help_text="Points: the sum of the programme's entries."
    )

    class Meta:
        model = RewardProgramme
        fields = ["id", "name", "balance", "created_at"]
        read_only_fields = fields


class PointsEntrySerializer(serializers.ModelSerializer):
    points = serializers.IntegerField(
        read_only=True, help_text="Signed: earnings are positive, redemptions negative."
    )
    source = serializers.ChoiceField(choices=PointsSource.choices, read_only=True)
    transaction = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The transaction behind the entry: the spending or bill payment that earned "
        "it, or the statement credit of a redemption.",
    )

    class Meta:
        model = PointsEntry
        fields = ["id", "points", "reason", "source", "transaction", "created_at"]
        read_only_fields = fields


class PointsTotalSerializer(serializers.Serializer):
    total_points = serializers.IntegerField(help_text="The balances of all your programmes.")


class RedeemInputSerializer(serializers.Serializer):
    points = PointsField(
        help_text="How many points to redeem: a whole number, at most your balance."
    )
    account = OwnAccountField(
        help_text="Id of one of your open accounts; the credit is in its currency."
    )


class RedemptionSerializer(serializers.Serializer):
    points = serializers.IntegerField(help_text="The points redeemed.")
    credit = money_field(help_text="The statement credit, rounded down to the cent.")
    currency = CurrencyField()
    transaction = serializers.IntegerField(help_text="Id of the income transaction credited.")
    entry = serializers.IntegerField(help_text="Id of the negative points entry.")
    balance = serializers.IntegerField(help_text="The programme's balance after the redemption.")

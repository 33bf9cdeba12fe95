"""Serializers for categorisation rules and category changes.

They parse shapes only; transactions.rule_services (and transactions.rules for conditions)
decide what is valid, so the API and any other caller get the same checks.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from smartbank.api_fields import money_field
from transactions.api.serializers import CategorySlugField, OwnAccountField
from transactions.api.serializers import TransactionSerializer as _TransactionSerializer
from transactions.models import CategorizationRule, CategoryChange, CategorySource
from transactions.rule_services import MAX_BULK_IDS, MAX_PRIORITY, MAX_RULE_NAME_LENGTH
from transactions.rules import FIELDS, MAX_CONDITIONS, MAX_TEXT_VALUE_LENGTH, OPERATORS


class RuleConditionSerializer(serializers.Serializer):
    """Documents one condition; the rule services check it (transactions.rules)."""

    field = serializers.ChoiceField(choices=FIELDS)
    operator = serializers.ChoiceField(
        choices=OPERATORS,
        help_text="Text fields: contains, equals, starts_with, regex (RE2 syntax). amount: "
        "equals, gt, lt. account: equals.",
    )
    value = serializers.JSONField(
        help_text="Text (at most 255 characters) for description and merchant; a signed amount "
        'such as "-50.00" for amount (money out is negative); an account id for account.'
    )


@extend_schema_field(RuleConditionSerializer(many=True))
class ConditionsField(serializers.JSONField):
    """The conditions list, passed whole to the rule services, which check every part."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            f"1 to {MAX_CONDITIONS} conditions. Text is compared case-insensitively, ignoring "
            "spaces at either end; a regex is searched anywhere in the text.",
        )
        super().__init__(**kwargs)


class RuleActionsSerializer(serializers.Serializer):
    set_category = CategorySlugField(
        required=False,
        allow_null=True,
        help_text="Slug of a default category or one of yours; null sets none.",
    )
    set_merchant = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_TEXT_VALUE_LENGTH,
        help_text="The merchant name matching transactions get; blank leaves it as it is.",
    )
    stop = serializers.BooleanField(
        source="stop_processing",
        required=False,
        help_text="When this rule matches, no rule after it runs.",
    )


class RuleSerializer(serializers.Serializer):
    """A categorisation rule, read and written."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=MAX_RULE_NAME_LENGTH)
    priority = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_PRIORITY,
        help_text="Lower runs first; rules with the same priority run in the order they were "
        "made. Default 100.",
    )
    is_active = serializers.BooleanField(
        required=False, help_text="Inactive rules do not run on new transactions."
    )
    match = serializers.ChoiceField(
        choices=CategorizationRule.Match.choices,
        required=False,
        help_text="all: every condition must hold (default); any: one is enough.",
    )
    conditions = ConditionsField()
    actions = RuleActionsSerializer(
        source="*",
        help_text="At least one of set_category, set_merchant and stop. The first matching "
        "rule that sets a category (or merchant) decides it; later rules do not overwrite it.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class RuleScopeSerializer(serializers.Serializer):
    """Which existing transactions applying or previewing a rule looks at."""

    override_manual = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also replace categories you set by hand (one by one or in bulk). Default "
        "false: those keep their category.",
    )
    date_from = serializers.DateField(required=False, help_text="txn_date on or after.")
    date_to = serializers.DateField(required=False, help_text="txn_date on or before.")
    account = OwnAccountField(required=False, help_text="Only this account's transactions.")

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return attrs


class RulePreviewInputSerializer(RuleScopeSerializer):
    """A rule that is not saved, plus the scope to preview it on."""

    rule = RuleSerializer()


class RuleRunCountsSerializer(serializers.Serializer):
    matched = serializers.IntegerField(help_text="Transactions the rule's conditions match.")
    changed = serializers.IntegerField(help_text="Of those, how many change.")
    category_changed = serializers.IntegerField()
    merchant_changed = serializers.IntegerField()
    skipped_manual = serializers.IntegerField(
        help_text="Matched, but keep a category set by hand (override_manual was false)."
    )


class PlannedChangeSerializer(serializers.Serializer):
    transaction = serializers.IntegerField(source="transaction_id")
    txn_date = serializers.DateField()
    description = serializers.CharField()
    amount = money_field()
    currency = serializers.CharField()
    old_category = serializers.CharField(allow_null=True, help_text="Slug, or null.")
    new_category = serializers.CharField(
        allow_null=True, help_text="Slug after applying; the same as old_category if it stays."
    )
    old_merchant = serializers.CharField()
    new_merchant = serializers.CharField(help_text="The same as old_merchant if it stays.")


class RulePreviewSerializer(RuleRunCountsSerializer):
    changes = PlannedChangeSerializer(
        many=True, help_text="The first rows that would change, newest first."
    )
    truncated = serializers.BooleanField(help_text="True when more rows change than are listed.")


# --- Category changes -------------------------------------------------------------------------


class TransactionCategoryInputSerializer(serializers.Serializer):
    category = CategorySlugField(
        allow_null=True, help_text="Slug of a default category or one of yours; null: none."
    )


class TransactionCategorySerializer(_TransactionSerializer):
    """A transaction with how its category was chosen."""

    category_source = serializers.ChoiceField(
        choices=CategorySource.choices,
        read_only=True,
        help_text="manual, bulk (set by you), rule, import, or none.",
    )
    category_rule = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The rule that set the category, if one did."
    )

    class Meta(_TransactionSerializer.Meta):
        fields = [*_TransactionSerializer.Meta.fields, "category_source", "category_rule"]


class BulkCategorizeInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        allow_empty=False,
        max_length=MAX_BULK_IDS,
        help_text=f"Ids of your transactions, at most {MAX_BULK_IDS}. An id that is not yours "
        "or is a transfer refuses the whole request (400 naming them); nothing changes.",
    )
    filters = serializers.DictField(
        required=False,
        allow_empty=False,
        help_text='The filters of GET /api/v1/transactions/ (e.g. {"merchant": "tesco", '
        '"date_from": "2025-01-01"}): every matching transaction except transfers.',
    )
    category = CategorySlugField(
        allow_null=True, help_text="Slug of a default category or one of yours; null: none."
    )

    def validate(self, attrs):
        if ("ids" in attrs) == ("filters" in attrs):
            raise serializers.ValidationError({"detail": "Give ids or filters, not both."})
        return attrs


class BulkCategorizeResultSerializer(serializers.Serializer):
    updated = serializers.IntegerField(help_text="Transactions whose category changed.")
    unchanged = serializers.IntegerField(help_text="Already in that category.")
    skipped_transfers = serializers.IntegerField(help_text="Transfers, which keep theirs.")
    category = serializers.CharField(allow_null=True)


class CategoryChangeSerializer(serializers.ModelSerializer):
    old_category = serializers.CharField(
        source="old_category_slug", help_text="Slug; blank when there was none."
    )
    new_category = serializers.CharField(
        source="new_category_slug", help_text="Slug; blank when there is none."
    )
    rule = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The rule, when source is rule."
    )
    changed_by = serializers.SerializerMethodField(
        help_text="customer (you), staff, or system (an import or a rule on a new row)."
    )

    class Meta:
        model = CategoryChange
        fields = [
            "id",
            "old_category",
            "new_category",
            "source",
            "rule",
            "changed_by",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["customer", "staff", "system"]))
    def get_changed_by(self, obj: CategoryChange) -> str:
        if obj.changed_by_id is None:
            return "system"
        return "customer" if obj.changed_by_id == obj.user_id else "staff"

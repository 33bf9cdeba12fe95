"""What the statement import API takes and answers."""

import json

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from transactions import imports
from transactions.api.serializers import OwnAccountField
from transactions.models import ImportBatch

FORMATS = ("csv", "ofx", "qfx", "qif", "camt053")


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonObjectField(serializers.Field):
    """A JSON object, sent as an object (JSON body) or as a JSON string (multipart form)."""

    # Braces doubled: DRF formats error messages with str.format.
    default_error_messages = {"invalid": 'Send a JSON object, e.g. {{"date_column": 0}}.'}

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data) if data.strip() else {}
            except ValueError:
                self.fail("invalid")
        if not isinstance(data, dict):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The statement: CSV, OFX/QFX, QIF or CAMT.053 XML.")
    account = OwnAccountField(
        help_text="Your account the rows go to (for a file with several accounts: the default)."
    )
    format = serializers.ChoiceField(
        choices=FORMATS, required=False, help_text="Leave out to detect it from the file."
    )
    mapping = JsonObjectField(
        required=False,
        help_text="CSV only: overrides of the detected mapping (as the dry run shows it), e.g. "
        '{"date_column": 0, "amount_column": 3, "day_first": true}.',
    )
    account_map = JsonObjectField(
        required=False,
        help_text="For files holding several accounts: the file's account number -> your account "
        "id, where the numbers do not match by their last four digits.",
    )
    day_first = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Answer to the dry run's question when day and month cannot be told apart: "
        "true for 03/04 = 3 April, false for 4 March.",
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Parse and show, write nothing."
    )
    save_profile = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Keep the mapping as this account's import profile when the import succeeds, "
        "so the next file from this bank needs no questions. A dry run writes nothing.",
    )

    def validate(self, attrs):
        for key in ("account_map",):
            for ref, account_id in attrs.get(key, {}).items():
                if not isinstance(account_id, int) or isinstance(account_id, bool):
                    raise serializers.ValidationError(
                        {key: f"The account for {ref!r} must be an account id (a whole number)."}
                    )
        return attrs


class ImportBatchSerializer(serializers.ModelSerializer):
    counts = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField(
        help_text="Percent done, 0 to 100; it moves while the rows are written."
    )

    class Meta:
        model = ImportBatch
        fields = [
            "id",
            "account",
            "filename",
            "format",
            "file_size",
            "status",
            "progress",
            "counts",
            "problems",
            "reconciliation",
            "transfer_candidates",
            "mapping",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "undone_at",
        ]
        read_only_fields = fields

    def get_progress(self, batch: ImportBatch) -> int:
        return imports.batch_progress(batch)

    def get_counts(self, batch: ImportBatch) -> dict[str, int]:
        return {
            "read": batch.rows_read,
            "created": batch.rows_created,
            "duplicates": batch.rows_duplicate,
            "matched": batch.rows_matched,
            "skipped": batch.rows_skipped,
            "rejected": batch.rows_rejected,
        }


class ReconcileSerializer(serializers.Serializer):
    account = OwnAccountField(help_text="The account whose opening balance moves.")


class LinkTransferSerializer(serializers.Serializer):
    outgoing = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="Id of the row that left one account."
    )
    incoming = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="Id of the row that arrived in the other."
    )

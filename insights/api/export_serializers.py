"""What the exports API takes and answers."""

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from insights.models import Export
from transactions.api.serializers import OwnAccountField


class StatementRequestSerializer(serializers.Serializer):
    account = OwnAccountField(help_text="The id of one of your accounts.")
    date_from = serializers.DateField(help_text="First day of the period (YYYY-MM-DD).")
    date_to = serializers.DateField(
        help_text="Last day of the period (YYYY-MM-DD), on or after date_from, not in the future."
    )


class ExportLinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    download = serializers.URLField()


class ExportSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    size = serializers.IntegerField(
        source="pdf_size", read_only=True, help_text="Bytes of the PDF; 0 until done."
    )
    links = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = [
            "id",
            "status",
            "account",
            "account_name",
            "date_from",
            "date_to",
            "currency",
            "opening_balance",
            "money_in",
            "money_out",
            "closing_balance",
            "transaction_count",
            "filename",
            "size",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "links",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {"help_text": "pending, running, done (download it) or failed (see error)."},
            "opening_balance": {"help_text": "Set when done, as are the other figures."},
            "money_out": {"help_text": "Positive: every debit of the period, transfers included."},
        }

    @extend_schema_field(ExportLinksSerializer)
    def get_links(self, export: Export) -> dict[str, str]:
        request = self.context.get("request")
        return {
            "self": reverse("export-detail", args=[export.pk], request=request),
            "download": reverse("export-download", args=[export.pk], request=request),
        }


def csv_filter_data(data: Any) -> Mapping:
    """A body's filters as the query-string values TransactionFilter parses.

    A form body is text already. In a JSON body numbers become their text and a list (of
    categories, of ordering fields) is joined with commas, the form the query string takes;
    an object as a value, or a body that is not an object, is refused naming the field.
    """
    if hasattr(data, "getlist"):
        return data
    if not isinstance(data, Mapping):
        raise serializers.ValidationError(
            {"detail": 'Send the filters as a JSON object, e.g. {"date_from": "2025-01-01"}.'}
        )
    values: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, list) and all(
            isinstance(item, str | int) and not isinstance(item, bool) for item in value
        ):
            values[key] = ",".join(str(item) for item in value)
        elif isinstance(value, list | dict):
            errors[key] = ["Send a value or a list of values, not an object."]
        else:
            values[key] = str(value)
    if errors:
        raise serializers.ValidationError(errors)
    return values

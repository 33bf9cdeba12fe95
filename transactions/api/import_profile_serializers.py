"""What /api/v1/import-profiles/ shows and takes; transactions.import_profile_services checks."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from transactions.models import ImportProfile


@extend_schema_field(OpenApiTypes.OBJECT)
class MappingField(serializers.JSONField):
    """A CSV mapping, passed whole to the service, which checks it as the CSV parser does."""


class ImportProfileSerializer(serializers.ModelSerializer):
    mapping = MappingField(
        required=False,
        help_text="The CSV mapping the account's next files are read with, as a dry run shows "
        'it, e.g. {"delimiter": ";", "date_column": 0, "credit_column": 2, "debit_column": 3, '
        '"day_first": true}. Columns count from 0. Sending it replaces the saved one; keys left '
        "out are detected from each file. Unknown keys and wrong types are refused.",
    )

    class Meta:
        model = ImportProfile
        fields = ["id", "account", "name", "format", "mapping", "created_at", "updated_at"]
        read_only_fields = ["id", "account", "format", "created_at", "updated_at"]
        extra_kwargs = {"name": {"help_text": "Your name for it, e.g. the bank's."}}

from rest_framework import serializers

from transactions.models import Category
from transactions.services import CATEGORY_NAME_MAX_LENGTH


class CategorySerializer(serializers.ModelSerializer):
    is_default = serializers.BooleanField(
        read_only=True, help_text="True for the categories every customer shares."
    )

    class Meta:
        model = Category
        fields = ["id", "slug", "name", "is_default"]
        read_only_fields = ["id", "slug", "name", "is_default"]


class CategoryCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=CATEGORY_NAME_MAX_LENGTH)
    slug = serializers.SlugField(
        max_length=50,
        required=False,
        allow_blank=True,
        help_text=(
            "How transactions name this category, e.g. `coffee`; made from the name when "
            "left out. It may not be the slug of a default category or of one of your own."
        ),
    )


class CategoryUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=CATEGORY_NAME_MAX_LENGTH, help_text="The new name; the slug stays."
    )

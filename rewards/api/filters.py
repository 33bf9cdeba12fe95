"""Query-string filters for GET /api/v1/rewards/{id}/entries/."""

from django_filters import rest_framework as filters

from rewards.models import PointsEntry, PointsSource


class PointsEntryFilter(filters.FilterSet):
    source = filters.ChoiceFilter(
        choices=PointsSource.choices, help_text="Only entries from this source."
    )

    class Meta:
        model = PointsEntry
        fields = ["source"]

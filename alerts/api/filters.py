"""Query-string filters for GET /api/v1/alerts/: a malformed value is a 400 naming it."""

from django_filters import rest_framework as filters

from alerts.models import Alert, AlertType

_BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class AlertFilter(filters.FilterSet):
    unread = filters.ChoiceFilter(
        choices=_BOOLEAN_CHOICES,
        method="filter_unread",
        help_text="true: only alerts not read yet; false: only read ones.",
    )
    type = filters.ChoiceFilter(
        field_name="alert_type",
        choices=AlertType.choices,
        help_text="Only alerts of this type, e.g. low_balance.",
    )
    dismissed = filters.ChoiceFilter(
        choices=_BOOLEAN_CHOICES,
        method="filter_dismissed",
        help_text="Dismissed alerts leave the list; true lists only them instead. Default false.",
    )

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_queryset(self, queryset):
        # The feed shows alerts not dismissed unless dismissed=true is asked for.
        if not self.form.cleaned_data.get("dismissed"):
            queryset = queryset.filter(dismissed_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value == "true")

    def filter_dismissed(self, queryset, name, value):
        return queryset.filter(dismissed_at__isnull=value != "true")

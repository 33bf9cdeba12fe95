"""Query-string filters for GET /api/v1/bills/: a malformed value is a 400 naming it."""

from django_filters import rest_framework as filters

from bills.models import Bill, BillStatus

_BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


class BillFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=BillStatus.choices,
        help_text="upcoming, due, paid or overdue, as of your today.",
    )
    due_after = filters.DateFilter(
        field_name="due_date", lookup_expr="gte", help_text="Due on or after (YYYY-MM-DD)."
    )
    due_before = filters.DateFilter(
        field_name="due_date", lookup_expr="lte", help_text="Due on or before (YYYY-MM-DD)."
    )
    # A choice rather than BooleanFilter, which ignores a value it cannot read.
    autopay = filters.TypedChoiceFilter(
        choices=_BOOLEAN_CHOICES,
        coerce=lambda value: value == "true",
        help_text="true: auto-pay bills only; false: the others.",
    )

    class Meta:
        model = Bill
        fields: list[str] = []

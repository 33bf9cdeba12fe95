"""/api/v1/budgets/: thin viewsets over budgets.selectors and budgets.services.

Every answer that shows a budget shows its progress, computed from the transactions for
the whole page at once (budgets.selectors.budgets_progress: a fixed number of queries).
A missing exchange rate makes progress impossible to compute: that is a 409 whose detail
names the pair and the day, never a 500 and never a 1:1 guess; the
request is well formed, the rates are what is missing (staff add them in the admin). A
write whose answer cannot be computed so is rolled back: nothing is saved.
"""

from django.db import transaction as db_transaction
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from budgets import selectors, services
from budgets.api.filters import BudgetFilter
from budgets.api.serializers import (
    BudgetInputSerializer,
    BudgetProgressSerializer,
    BudgetSerializer,
    MonthInputSerializer,
    MonthSummarySerializer,
)
from budgets.models import Budget
from smartbank.schema import MISSING_RATE_RESPONSE

_PROGRESS_NOTE = (
    " Each budget carries its progress: spent (minus the sum of the category's non-transfer "
    "amounts in the month, refunds reducing it, converted into the budget's currency at each "
    "day's rate), remaining, percent_used, exceeded and projected."
)


@extend_schema_view(
    list=extend_schema(
        summary="List your budgets",
        description="Newest month first, then by category name. Filters: year, month "
        "(1-12), category (slugs)." + _PROGRESS_NOTE,
        responses={200: BudgetSerializer(many=True), 409: MISSING_RATE_RESPONSE},
    ),
    retrieve=extend_schema(
        summary="One of your budgets",
        responses={200: BudgetSerializer, 409: MISSING_RATE_RESPONSE},
    ),
    create=extend_schema(
        summary="Set a budget",
        description="One budget per category and month: a second one is a 400 on category. "
        "The month may be YYYY-MM, any date in the month (stored as its first day), or a "
        "number 1-12 with year. The currency is your base currency.",
        request=BudgetInputSerializer,
        responses={201: BudgetSerializer, 409: MISSING_RATE_RESPONSE},
    ),
    update=extend_schema(
        summary="Replace a budget",
        description="Category, month and amount may change; the currency stays.",
        request=BudgetInputSerializer,
        responses={200: BudgetSerializer, 409: MISSING_RATE_RESPONSE},
    ),
    partial_update=extend_schema(
        summary="Edit a budget",
        description="Category, month and amount may change; the currency stays.",
        request=BudgetInputSerializer,
        responses={200: BudgetSerializer, 409: MISSING_RATE_RESPONSE},
    ),
    destroy=extend_schema(summary="Delete a budget", description="Transactions are not touched."),
)
class BudgetViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = BudgetSerializer
    filterset_class = BudgetFilter
    # BudgetFilter refuses a bad value with a 400; DRF's OrderingFilter (in the default
    # backends) would silently ignore an unknown field.
    filter_backends = [DjangoFilterBackend]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Budget.objects.none()
        return selectors.budget_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return BudgetInputSerializer
        if self.action == "copy_previous":
            return MonthInputSerializer
        return BudgetSerializer

    def _with_progress(self, budgets) -> list[selectors.BudgetProgress]:
        return selectors.budgets_progress(budgets=budgets, today=self.request.user.today())

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        budgets = page if page is not None else list(queryset)
        data = BudgetSerializer(self._with_progress(budgets), many=True).data
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    def retrieve(self, request, *args, **kwargs):
        progress = self._with_progress([self.get_object()])[0]
        return Response(BudgetSerializer(progress).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # One database transaction: if the answer cannot be computed (a missing rate), the
        # budget is not kept either.
        with db_transaction.atomic():
            budget = services.budget_create(
                user=request.user, actor=request.user, **serializer.validated_data
            )
            progress = self._with_progress([budget])[0]
        return Response(BudgetSerializer(progress).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        budget = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        with db_transaction.atomic():
            budget = services.budget_update(
                budget=budget, actor=request.user, **serializer.validated_data
            )
            progress = self._with_progress([budget])[0]
        return Response(BudgetSerializer(progress).data)

    def perform_destroy(self, instance):
        services.budget_delete(budget=instance, actor=self.request.user)

    @extend_schema(
        summary="A budget's progress",
        description="Spent, remaining (negative once exceeded), percent used, exceeded, and "
        "the month-end projection at the current pace (your current month: spent / days "
        "elapsed * days in the month; a past month: spent; a future month: 0).",
        responses={200: BudgetProgressSerializer, 409: MISSING_RATE_RESPONSE},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def progress(self, request, pk=None):
        progress = self._with_progress([self.get_object()])[0]
        return Response(BudgetProgressSerializer(progress).data)

    @extend_schema(
        summary="A month: every budget with progress, and unbudgeted spending",
        description="year 1900-9999 and month 1-12; any other value is a 404 saying why. "
        "unbudgeted lists the categories without a budget that month whose net spending is "
        "positive, in your base currency (uncategorised spending has category null).",
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("month", OpenApiTypes.INT, OpenApiParameter.PATH),
        ],
        responses={200: MonthSummarySerializer, 409: MISSING_RATE_RESPONSE},
    )
    # [^/]+ rather than digits, so a malformed month reaches the view (authentication
    # first, then a 404 that says what is wrong) instead of the router's bare 404.
    @action(
        detail=False,
        methods=["get"],
        url_path=r"month/(?P<year>[^/.]+)/(?P<month>[^/.]+)",
        url_name="month",
        filter_backends=[],
        pagination_class=None,
    )
    def month(self, request, year=None, month=None):
        try:
            year_number, month_number = int(year), int(month)
            summary = selectors.month_summary(
                user=request.user, year=year_number, month=month_number
            )
        except ValueError as exc:
            message = str(exc) if "must be" in str(exc) else "The year and month are numbers."
            raise exceptions.NotFound(f"No such month: {message}") from None
        return Response(MonthSummarySerializer(summary).data)

    @extend_schema(
        summary="Copy last month's budgets into a month",
        description="Copies the budgets of the month before {year, month} into it, keeping "
        "their amounts and currencies; categories that already have a budget there are "
        "skipped. 201 with the budgets made; 200 with [] when there was nothing to copy "
        "(no budgets last month, or all already there), so running it twice is harmless.",
        request=MonthInputSerializer,
        responses={
            201: BudgetSerializer(many=True),
            200: OpenApiResponse(BudgetSerializer(many=True), description="Nothing to copy: []."),
            409: MISSING_RATE_RESPONSE,
        },
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="copy-previous",
        filter_backends=[],
        pagination_class=None,
    )
    def copy_previous(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with db_transaction.atomic():
            created = services.budgets_copy_month(
                user=request.user, actor=request.user, **serializer.validated_data
            )
            progress = self._with_progress(created)
        return Response(
            BudgetSerializer(progress, many=True).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

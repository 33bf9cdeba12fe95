"""The transactions API: thin viewsets over transactions.selectors and transactions.services."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from transactions import selectors, services
from transactions.api.filters import TransactionFilter
from transactions.api.rule_views import TransactionCategoryActionsMixin
from transactions.api.serializers import (
    TransactionSerializer,
    TransferInputSerializer,
    TransferSerializer,
)
from transactions.models import Transaction

_WRITE_NOTES = (
    " Goes through the ledger: the account's balance moves in the same database transaction. "
    "An expense that would take a checking, savings or cash account below zero, or a credit "
    "card past its limit, is refused with a 400 and nothing is written."
)

# The filters are documented from TransactionFilter (types, enums, help texts); these add what
# introspection cannot say: the aliases, and the slug filters whose field is custom.
_LIST_PARAMETERS = [
    OpenApiParameter(
        "start_date", OpenApiTypes.DATE, description="Alias of date_from: txn_date on or after."
    ),
    OpenApiParameter(
        "end_date", OpenApiTypes.DATE, description="Alias of date_to: txn_date on or before."
    ),
    OpenApiParameter(
        "category",
        OpenApiTypes.STR,
        description="A category slug (a default category or one of yours). An unknown slug is "
        "a 400.",
    ),
    OpenApiParameter(
        "categories",
        OpenApiTypes.STR,
        description="Alias of category taking comma-separated slugs, e.g. groceries,dining: "
        "transactions in any of them.",
    ),
    OpenApiParameter(
        "skip", OpenApiTypes.INT, description="Alias of offset, for older clients (skip/limit)."
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary="List your transactions",
        description=(
            "Newest first (txn_date, then id). Filters combine with AND; a malformed filter "
            "value is a 400 naming the parameter. Paginated with limit/offset (skip is an "
            "alias of offset)."
        ),
        parameters=_LIST_PARAMETERS,
    ),
    retrieve=extend_schema(summary="One of your transactions"),
    create=extend_schema(
        summary="Record an income or expense",
        description="kind is derived from the sign when left out." + _WRITE_NOTES,
    ),
    update=extend_schema(
        summary="Replace a transaction",
        description="On a transfer leg only description, merchant, notes and the dates may "
        "change." + _WRITE_NOTES,
    ),
    partial_update=extend_schema(
        summary="Edit a transaction",
        description="On a transfer leg only description, merchant, notes and the dates may "
        "change." + _WRITE_NOTES,
    ),
    destroy=extend_schema(
        summary="Delete a transaction",
        description="Takes its amount back out of the balance. Deleting either leg of a "
        "transfer deletes both.",
    ),
)
class TransactionViewSet(
    # PUT {id}/category/, POST bulk-categorize/, GET {id}/category-history/ (issue 3).
    TransactionCategoryActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    # Ordering is a filter of TransactionFilter, which refuses an unknown field with a 400;
    # DRF's OrderingFilter (in the default backends) would silently ignore it.
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Transaction.objects.none()
        return selectors.transaction_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "transfer":
            return TransferInputSerializer
        return super().get_serializer_class()

    def perform_create(self, serializer):
        user = self.request.user
        serializer.instance = services.transaction_create(
            user=user, actor=user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.transaction_update(
            transaction=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.transaction_delete(transaction=instance, actor=self.request.user)

    @extend_schema(
        summary="Transfer between two of your accounts",
        description=(
            "Creates two linked legs in one database transaction: a negative one on "
            "from_account and a positive one on to_account, sharing a transfer_id and pointing "
            "at each other through counterpart. Between currencies give amount_received too. "
            "A transfer that would overdraw from_account is refused with a 400 and nothing is "
            "written."
        ),
        request=TransferInputSerializer,
        responses={
            201: OpenApiResponse(TransferSerializer, description="Both legs of the transfer.")
        },
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def transfer(self, request):
        serializer = TransferInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        result = services.transfer_create(
            user=request.user, actor=request.user, **serializer.validated_data
        )
        output = TransferSerializer(
            {"outgoing": result.outgoing, "incoming": result.incoming},
            context=self.get_serializer_context(),
        )
        return Response(output.data, status=status.HTTP_201_CREATED)

"""The bills API: a thin viewset over bills.selectors and bills.services."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from bills import selectors, services
from bills.api.filters import BillFilter
from bills.api.serializers import (
    BillInputSerializer,
    BillPayInputSerializer,
    BillReminderSerializer,
    BillSerializer,
)
from bills.models import Bill


@extend_schema_view(
    list=extend_schema(
        summary="List your bills",
        description="Soonest due first, each with its status as of your today. Filters combine "
        "with AND; a malformed value is a 400 naming the parameter.",
    ),
    retrieve=extend_schema(summary="One of your bills"),
    create=extend_schema(
        summary="Add a bill",
        request=BillInputSerializer,
        responses={201: BillSerializer},
    ),
    update=extend_schema(
        summary="Replace a bill",
        description="A paid bill's amount, currency and due date cannot change.",
        request=BillInputSerializer,
        responses={200: BillSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit a bill",
        description="A paid bill's amount, currency and due date cannot change.",
        request=BillInputSerializer,
        responses={200: BillSerializer},
    ),
    destroy=extend_schema(
        summary="Delete a bill", description="Its payment, if any, stays in the ledger."
    ),
)
class BillViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = BillSerializer
    filterset_class = BillFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Bill.objects.none()
        return selectors.bill_list(user=self.request.user)

    def _output(self, bill: Bill, status_code: int = status.HTTP_200_OK) -> Response:
        # Read back through the selector, so the status is derived the one way.
        bill = self.get_queryset().get(pk=bill.pk)
        return Response(self.get_serializer(bill).data, status=status_code)

    def _input(self, *, partial: bool = False) -> dict:
        serializer = BillInputSerializer(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def create(self, request, *args, **kwargs):
        data = self._input()
        bill = services.bill_create(user=request.user, actor=request.user, **data)
        return self._output(bill, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        bill = self.get_object()
        data = self._input(partial=partial)
        if not partial:
            # A full replacement: what is left out goes back to its default.
            data.setdefault("account", None)
            data.setdefault("category", None)
            data.setdefault("currency", data["account"].currency if data["account"] else None)
            if data["currency"] is None:
                data.pop("currency")
        bill = services.bill_update(bill=bill, actor=request.user, **data)
        return self._output(bill)

    def perform_destroy(self, instance):
        services.bill_delete(bill=instance, actor=self.request.user)

    @extend_schema(
        summary="Pay a bill now",
        description=(
            "An expense of the amount due on the account (the bill's own when left out), "
            "through the ledger, dated your today; the bill becomes paid and a recurring "
            "bill gets its next occurrence, in one database transaction. Insufficient funds, "
            "or a bill already paid, is a 400 and nothing changes."
        ),
        request=BillPayInputSerializer,
        responses={200: BillSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def pay(self, request, pk=None):
        bill = self.get_object()
        serializer = BillPayInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        services.bill_pay(
            bill=bill, account=serializer.validated_data.get("account"), actor=request.user
        )
        return self._output(bill)

    @extend_schema(
        summary="Send a reminder of a bill now",
        description=(
            "Queues the reminder on the channels you turned on for bill_due_soon alerts "
            "(email, SMS); each is sent in the background. A 400 when the bill is paid, "
            "when those channels are all off, or when a reminder of this bill was sent "
            f"less than {services.BILL_REMINDER_MIN_INTERVAL.total_seconds() / 60:.0f} "
            "minutes ago (the message says when the next one can be sent)."
        ),
        request=None,
        responses={202: OpenApiResponse(BillReminderSerializer, description="What was queued.")},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="send-reminder",
        filter_backends=[],
        pagination_class=None,
    )
    def send_reminder(self, request, pk=None):
        bill = self.get_object()
        notifications = services.bill_send_reminder(bill=bill)
        output = BillReminderSerializer({"notifications": notifications})
        return Response(output.data, status=status.HTTP_202_ACCEPTED)

"""/api/v1/rewards/: the customer's reward programmes, their points, and redemptions."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import User
from rewards import selectors, services
from rewards.api.filters import PointsEntryFilter
from rewards.api.serializers import (
    PointsEntrySerializer,
    PointsTotalSerializer,
    RedeemInputSerializer,
    RedemptionSerializer,
    RewardProgrammeSerializer,
)
from rewards.models import PointsSource, RewardProgramme
from smartbank.schema import FieldErrorsSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List your reward programmes",
        description="Each with its balance: the sum of its points entries.",
    ),
    retrieve=extend_schema(summary="One of your reward programmes, with its balance"),
)
class RewardProgrammeViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = RewardProgrammeSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return RewardProgramme.objects.none()
        return selectors.programmes_for_user(user=self.request.user)

    def list(self, request, *args, **kwargs):
        if request.user.role == User.Role.CUSTOMER:
            # Sign-up makes the programme; this repairs a customer made some other way.
            services.programme_for(request.user)
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="A programme's points entries",
        description="Newest first; every earning, redemption and adjustment. Paginated.",
        parameters=[
            OpenApiParameter(
                "source",
                str,
                enum=PointsSource.values,
                description="Only entries from this source.",
            )
        ],
        responses={
            200: PointsEntrySerializer(many=True),
            400: OpenApiResponse(FieldErrorsSerializer, description="A bad filter value."),
        },
    )
    @action(detail=True, methods=["get"])
    def entries(self, request, pk=None):
        programme = self.get_object()
        filterset = PointsEntryFilter(
            request.query_params,
            queryset=selectors.programme_entries(programme=programme),
            request=request,
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        page = self.paginate_queryset(filterset.qs)
        serializer = PointsEntrySerializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    @extend_schema(
        summary="Your points across all your programmes",
        responses={200: PointsTotalSerializer},
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def total(self, request):
        total = selectors.points_total(user=request.user)
        return Response(PointsTotalSerializer({"total_points": total}).data)

    @extend_schema(
        summary="Redeem points for a statement credit",
        description=(
            "Credits one of your open accounts with points / the rate staff set for its "
            "currency, rounded down to the cent: an income transaction through the ledger "
            "and a negative points entry, in one database transaction. More points than the "
            "balance, fewer than the minimum, an archived account or a currency without a "
            "rate is a 400 and nothing is written."
        ),
        request=RedeemInputSerializer,
        responses={201: RedemptionSerializer},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def redeem(self, request, pk=None):
        programme = self.get_object()
        serializer = RedeemInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        redemption = services.points_redeem(programme=programme, **serializer.validated_data)
        output = RedemptionSerializer(
            {
                "points": -redemption.entry.points,
                "credit": redemption.credit,
                "currency": redemption.currency,
                "transaction": redemption.transaction.pk,
                "entry": redemption.entry.pk,
                "balance": redemption.balance,
            }
        )
        return Response(output.data, status=status.HTTP_201_CREATED)

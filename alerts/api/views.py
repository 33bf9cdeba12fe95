"""/api/v1/alerts/ and /api/v1/alerts/subscriptions/: thin views over alerts.services."""

from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alerts import selectors, services
from alerts.api.filters import AlertFilter
from alerts.api.serializers import (
    AlertSerializer,
    PreferenceInputSerializer,
    PreferenceSerializer,
    ReadAllSerializer,
    UnreadCountSerializer,
)
from alerts.models import Alert, AlertType
from alerts.selectors import Preference


@extend_schema_view(
    list=extend_schema(
        summary="List your alerts",
        description="Newest first. Dismissed and deleted alerts are not listed (dismissed=true "
        "lists the dismissed ones). Filters: unread=true|false, type=<alert type>.",
    ),
    retrieve=extend_schema(summary="One of your alerts (dismissed ones too)"),
    destroy=extend_schema(
        summary="Delete an alert",
        description="It is gone for good from the list and by id; the same alert is never "
        "raised again.",
    ),
)
class AlertViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    filter_backends = [DjangoFilterBackend]
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Alert.objects.none()
        return selectors.alert_list(user=self.request.user)

    def filter_queryset(self, queryset):
        # The list's filters (and its "not dismissed" default) are not for one alert by id.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def perform_destroy(self, instance):
        services.alert_delete(alert=instance)

    @extend_schema(summary="Mark an alert read", request=None, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        alert = services.alert_read(alert=self.get_object())
        return Response(AlertSerializer(alert).data)

    @extend_schema(
        summary="Dismiss an alert",
        description="Takes it off the list (it stays reachable by id) and marks it read.",
        request=None,
        responses=AlertSerializer,
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        alert = services.alert_dismiss(alert=self.get_object())
        return Response(AlertSerializer(alert).data)

    @extend_schema(
        summary="Mark every alert on your list read", request=None, responses=ReadAllSerializer
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="read-all",
        filter_backends=[],
        pagination_class=None,
    )
    def read_all(self, request):
        updated = services.alerts_read_all(user=request.user)
        return Response({"updated": updated})

    @extend_schema(summary="How many alerts are unread", responses=UnreadCountSerializer)
    @action(
        detail=False,
        methods=["get"],
        url_path="unread-count",
        filter_backends=[],
        pagination_class=None,
    )
    def unread_count(self, request):
        return Response({"count": selectors.alert_unread_count(user=request.user)})


_ALERT_TYPE_PARAMETER = OpenApiParameter(
    "alert_type",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    enum=AlertType.values,
    description="The alert type. An unknown one is a 404.",
)


def _preference_data(user, preference: Preference) -> dict:
    return {
        "alert_type": preference.alert_type,
        "label": AlertType(preference.alert_type).label,
        "in_app": preference.in_app,
        "email": preference.email,
        "sms": preference.sms,
        "threshold": preference.threshold,
        "currency": user.base_currency if preference.has_threshold else None,
        "customised": preference.customised,
    }


@extend_schema_view(
    list=extend_schema(
        summary="Your alert preferences",
        description="Every alert type, with the defaults filled in where you have not chosen: "
        "in-app and email on, SMS off; thresholds 100.00 (low balance) and 1000.00 (large "
        "transaction) in your base currency.",
        responses=PreferenceSerializer(many=True),
    ),
    update=extend_schema(
        summary="Set your preference for an alert type",
        description="Give in_app, email and sms; threshold only for low_balance and "
        "large_transaction (left out or null: the default). Every channel off: alerts of "
        "this type are not raised at all.",
        parameters=[_ALERT_TYPE_PARAMETER],
        request=PreferenceInputSerializer,
        responses=PreferenceSerializer,
    ),
    partial_update=extend_schema(
        summary="Change your preference for an alert type",
        description="Only the fields given change.",
        parameters=[_ALERT_TYPE_PARAMETER],
        request=PreferenceInputSerializer,
        responses=PreferenceSerializer,
    ),
)
class AlertSubscriptionViewSet(viewsets.GenericViewSet):
    serializer_class = PreferenceSerializer
    pagination_class = None
    filter_backends = []
    lookup_field = "alert_type"
    lookup_value_regex = r"[^/]+"

    def list(self, request):
        preferences = selectors.alert_preferences(request.user)
        data = [_preference_data(request.user, preferences[t]) for t in AlertType.values]
        return Response(PreferenceSerializer(data, many=True).data)

    def update(self, request, alert_type=None, partial=False):
        if alert_type not in AlertType.values:
            raise Http404("Unknown alert type.")
        serializer = PreferenceInputSerializer(
            data=request.data, partial=partial, context={"alert_type": alert_type}
        )
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if not partial:
            changes.setdefault("threshold", None)
        preference = services.subscription_update(
            user=request.user, alert_type=alert_type, **changes
        )
        return Response(PreferenceSerializer(_preference_data(request.user, preference)).data)

    def partial_update(self, request, alert_type=None):
        return self.update(request, alert_type=alert_type, partial=True)

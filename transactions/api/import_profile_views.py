"""/api/v1/import-profiles/: each account's saved CSV mapping, to see, correct or forget."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from transactions import import_profile_services
from transactions.api.import_profile_serializers import ImportProfileSerializer
from transactions.models import ImportProfile


@extend_schema_view(
    list=extend_schema(
        summary="List your import profiles",
        description="One per account at most: the CSV mapping saved by an import with "
        "save_profile. An import into that account without a mapping uses it.",
    ),
    retrieve=extend_schema(summary="One of your import profiles"),
    partial_update=extend_schema(
        summary="Rename a profile or correct its mapping",
        description="A mapping sent replaces the saved one and is checked as the importer "
        "would read it (400 naming the problem, nothing saved).",
    ),
    destroy=extend_schema(
        summary="Forget a profile",
        description="The account's next CSV file is detected afresh. Imports are not touched.",
    ),
)
class ImportProfileViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ImportProfileSerializer
    # PATCH only: a profile is made by an import, so there is nothing to PUT in full.
    http_method_names = ["get", "patch", "delete", "head", "options"]
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return ImportProfile.objects.none()
        return (
            ImportProfile.objects.for_user(self.request.user)
            # The owner is joined because the services ask whether staff are changing it.
            .select_related("user")
            .order_by("account_id", "id")
        )

    def partial_update(self, request, *args, **kwargs):
        profile = self.get_object()
        serializer = self.get_serializer(profile, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile = import_profile_services.import_profile_update(
            profile=profile, actor=request.user, **serializer.validated_data
        )
        return Response(self.get_serializer(profile).data)

    def destroy(self, request, *args, **kwargs):
        import_profile_services.import_profile_delete(profile=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

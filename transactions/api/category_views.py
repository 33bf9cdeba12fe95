"""/api/v1/categories/: the default categories plus the customer's own."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from transactions.api.category_serializers import (
    CategoryCreateSerializer,
    CategorySerializer,
    CategoryUpdateSerializer,
)
from transactions.models import Category
from transactions.services import category_create, category_delete, category_update

DEFAULT_CATEGORY_FORBIDDEN = OpenApiResponse(
    description="Default categories cannot be renamed or deleted."
)


@extend_schema_view(
    list=extend_schema(
        summary="List categories",
        description="The default categories every customer shares, plus your own.",
    ),
    retrieve=extend_schema(summary="Get a category"),
    create=extend_schema(
        summary="Create a category of your own",
        request=CategoryCreateSerializer,
        responses={201: CategorySerializer},
    ),
    update=extend_schema(
        summary="Rename a category of your own",
        description="Only the name changes; the slug, which transactions are filed by, stays.",
        request=CategoryUpdateSerializer,
        responses={200: CategorySerializer, 403: DEFAULT_CATEGORY_FORBIDDEN},
    ),
    partial_update=extend_schema(
        summary="Rename a category of your own",
        request=CategoryUpdateSerializer,
        responses={200: CategorySerializer, 403: DEFAULT_CATEGORY_FORBIDDEN},
    ),
    destroy=extend_schema(
        summary="Delete a category of your own",
        description=(
            'Its transactions move to the default category "other"; no transaction is lost '
            "and no balance changes."
        ),
        responses={
            204: OpenApiResponse(description="Deleted; its transactions are now in other."),
            403: DEFAULT_CATEGORY_FORBIDDEN,
        },
    ),
)
class CategoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CategorySerializer
    ordering_fields = ["name", "slug"]
    ordering = ["name", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Category.objects.none()
        return Category.objects.for_user(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return CategoryCreateSerializer
        if self.action in ("update", "partial_update"):
            return CategoryUpdateSerializer
        return CategorySerializer

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        category = category_create(user=request.user, **serializer.validated_data)
        return Response(CategorySerializer(category).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        category = self.get_object()
        serializer = self.get_serializer(data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        name = serializer.validated_data.get("name", category.name)
        category = category_update(category=category, name=name, actor=request.user)
        return Response(CategorySerializer(category).data)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        category_delete(category=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

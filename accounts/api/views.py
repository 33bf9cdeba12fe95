"""/api/v1/accounts/: the customer's bank accounts. Writes go through accounts.services."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from accounts.api.filters import BankAccountFilter
from accounts.api.serializers import (
    BankAccountArchivedSerializer,
    BankAccountCreateSerializer,
    BankAccountSerializer,
)
from accounts.models import BankAccount
from accounts.services import account_create, account_delete, account_update

ARCHIVED_INSTEAD_OF_DELETED = (
    "This account has transactions, so it was archived instead of deleted; nothing was lost. "
    "Send PATCH with is_archived=false to bring it back."
)


@extend_schema_view(
    list=extend_schema(
        summary="List bank accounts",
        description=(
            "Your accounts, active ones only unless `archived` says otherwise "
            "(`archived=true`: archived only; `archived=all`: both). "
            "Order with `ordering=name|balance|created_at` (prefix `-` to reverse)."
        ),
    ),
    retrieve=extend_schema(
        summary="Get a bank account",
        description="Archived accounts can be read by id too.",
    ),
    create=extend_schema(
        summary="Open a bank account",
        description=(
            "The balance starts at the opening balance. `account_number` may be the full "
            "number or IBAN: only its last four characters are stored."
        ),
        request=BankAccountCreateSerializer,
        responses={201: BankAccountSerializer},
    ),
    update=extend_schema(
        summary="Replace a bank account",
        description=(
            "A new opening balance moves the balance by the difference. The currency of an "
            "account with transactions cannot change. The balance is never writable."
        ),
    ),
    partial_update=extend_schema(summary="Change a bank account"),
    destroy=extend_schema(
        summary="Delete a bank account",
        description=(
            "An account without transactions is deleted (204). An account with transactions "
            "is archived instead (200), so no transaction is lost."
        ),
        responses={
            204: OpenApiResponse(description="Deleted: the account had no transactions."),
            200: OpenApiResponse(
                response=BankAccountArchivedSerializer,
                description="The account has transactions, so it was archived instead.",
            ),
        },
    ),
)
class BankAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = BankAccountSerializer
    filterset_class = BankAccountFilter
    ordering_fields = ["name", "balance", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return BankAccount.objects.none()
        return BankAccount.objects.for_user(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return BankAccountCreateSerializer
        return BankAccountSerializer

    def filter_queryset(self, queryset):
        # The filters (and "active only" when none is given) shape the list alone: an archived
        # account stays reachable by id, so it can be read, unarchived or deleted.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    def _render(self, account: BankAccount, status_code: int = status.HTTP_200_OK) -> Response:
        data = BankAccountSerializer(account, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        account = account_create(user=request.user, actor=request.user, **serializer.validated_data)
        return self._render(account, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        account = self.get_object()
        serializer = self.get_serializer(
            account, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        account = account_update(account=account, actor=request.user, **serializer.validated_data)
        return self._render(account)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        account = self.get_object()
        if account_delete(account=account, actor=request.user):
            return Response(status=status.HTTP_204_NO_CONTENT)
        account.refresh_from_db()
        payload = BankAccountArchivedSerializer(
            {"detail": ARCHIVED_INSTEAD_OF_DELETED, "archived": True, "account": account},
            context=self.get_serializer_context(),
        ).data
        return Response(payload, status=status.HTTP_200_OK)

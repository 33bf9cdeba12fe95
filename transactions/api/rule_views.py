"""/api/v1/categories/rules/ and the category actions of /api/v1/transactions/.

Thin views over transactions.rule_services: they parse, scope to the user, call a service.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from transactions import rule_services, selectors
from transactions.api.filters import TransactionFilter
from transactions.api.rule_serializers import (
    BulkCategorizeInputSerializer,
    BulkCategorizeResultSerializer,
    CategoryChangeSerializer,
    RulePreviewInputSerializer,
    RulePreviewSerializer,
    RuleRunCountsSerializer,
    RuleScopeSerializer,
    RuleSerializer,
    TransactionCategoryInputSerializer,
    TransactionCategorySerializer,
)
from transactions.models import CategorizationRule
from transactions.rule_services import PREVIEW_LIMIT, RuleRunResult

# Filters of the transaction list that bulk-categorize takes; ordering and paging mean nothing
# there.
BULK_FILTERS = frozenset(TransactionFilter.base_filters) - {"ordering"}


def _preview_data(result: RuleRunResult, *, user) -> dict:
    slugs = dict(selectors.categories_for_user(user=user).values_list("pk", "slug"))
    changes = []
    for planned in result.changes:
        new_category_id = planned.new_category_id or planned.old_category_id
        changes.append(
            {
                "transaction_id": planned.transaction_id,
                "txn_date": planned.txn_date,
                "description": planned.description,
                "amount": planned.amount,
                "currency": planned.currency,
                "old_category": slugs.get(planned.old_category_id),
                "new_category": slugs.get(new_category_id),
                "old_merchant": planned.old_merchant,
                "new_merchant": planned.new_merchant
                if planned.new_merchant is not None
                else planned.old_merchant,
            }
        )
    return {
        "matched": result.matched,
        "changed": result.changed,
        "category_changed": result.category_changed,
        "merchant_changed": result.merchant_changed,
        "skipped_manual": result.skipped_manual,
        "changes": changes,
        "truncated": result.changed > len(changes),
    }


_SCOPE_NOTES = (
    " Transfers are never changed. Categories you set by hand (one by one or in bulk) keep "
    "their category unless override_manual is true; the merchant still changes."
)


@extend_schema_view(
    list=extend_schema(
        summary="List your categorisation rules",
        description="In the order they run: priority, then id.",
    ),
    retrieve=extend_schema(summary="One of your rules"),
    create=extend_schema(
        summary="Make a rule",
        description="It runs on every new transaction (manual or imported) that comes without "
        "a category. Regexes use RE2 syntax and are checked here; look-around and "
        "back-references are refused. To run it over existing transactions use apply.",
    ),
    update=extend_schema(summary="Replace a rule"),
    partial_update=extend_schema(summary="Change a rule"),
    destroy=extend_schema(
        summary="Delete a rule",
        description="Categories it set stay; their history keeps the change.",
    ),
)
class RuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = RuleSerializer
    # Only digits, so rules/preview/ is never read as a rule id.
    lookup_value_regex = r"\d+"
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return CategorizationRule.objects.none()
        return (
            CategorizationRule.objects.for_user(self.request.user)
            # The owner is joined because apply and preview read rule.user.
            .select_related("set_category", "user")
            .order_by("priority", "id")
        )

    def perform_create(self, serializer):
        user = self.request.user
        serializer.instance = rule_services.rule_create(
            user=user, actor=user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = rule_services.rule_update(
            rule=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        rule_services.rule_delete(rule=instance, actor=self.request.user)

    @extend_schema(
        summary="Apply a rule to your existing transactions",
        description="Runs this rule alone (active or not) over your transactions, optionally "
        "only between dates or in one account, and answers what changed. Every category it "
        "changes is recorded in the transaction's category history (source rule)." + _SCOPE_NOTES,
        request=RuleScopeSerializer,
        responses={200: RuleRunCountsSerializer},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def apply(self, request, pk=None):
        rule = self.get_object()
        scope = RuleScopeSerializer(data=request.data, context=self.get_serializer_context())
        scope.is_valid(raise_exception=True)
        result = rule_services.rule_apply(rule=rule, actor=request.user, **scope.validated_data)
        return Response(RuleRunCountsSerializer(result).data)

    @extend_schema(
        summary="Preview applying a rule",
        description="What apply would do with the same body, without changing anything: the "
        f"counts over all your transactions and the first {PREVIEW_LIMIT} rows that would "
        "change (transaction id, old and new category and merchant)." + _SCOPE_NOTES,
        request=RuleScopeSerializer,
        responses={200: RulePreviewSerializer},
    )
    @action(detail=True, methods=["post"], pagination_class=None)
    def preview(self, request, pk=None):
        rule = self.get_object()
        scope = RuleScopeSerializer(data=request.data, context=self.get_serializer_context())
        scope.is_valid(raise_exception=True)
        result = rule_services.rule_preview(rule=rule, **scope.validated_data)
        return Response(RulePreviewSerializer(_preview_data(result, user=request.user)).data)

    @extend_schema(
        summary="Preview a rule before saving it",
        operation_id="categories_rules_preview_unsaved",
        description="Checks the rule as create would (400 for what create refuses), then "
        "answers as the preview of a saved rule. Nothing is saved." + _SCOPE_NOTES,
        request=RulePreviewInputSerializer,
        responses={200: RulePreviewSerializer},
    )
    @action(detail=False, methods=["post"], url_path="preview", pagination_class=None)
    def preview_unsaved(self, request):
        serializer = RulePreviewInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        rule = rule_services.rule_build(user=request.user, **data.pop("rule"))
        result = rule_services.rule_preview(rule=rule, **data)
        return Response(RulePreviewSerializer(_preview_data(result, user=request.user)).data)


class TransactionCategoryActionsMixin:
    """The category actions of TransactionViewSet: set one, set many, read the history."""

    @extend_schema(
        summary="Set a transaction's category by hand",
        description="Rules will not overwrite it unless you ask (override_manual). The change "
        "is recorded in the transaction's category history. A transfer keeps the transfers "
        "category (400).",
        request=TransactionCategoryInputSerializer,
        responses={200: TransactionCategorySerializer},
    )
    @action(
        detail=True,
        methods=["put"],
        url_path="category",
        filter_backends=[],
        pagination_class=None,
    )
    def set_category(self, request, pk=None):
        txn = self.get_object()
        serializer = TransactionCategoryInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        txn = rule_services.transaction_set_category(
            transaction=txn, category=serializer.validated_data["category"], actor=request.user
        )
        return Response(
            TransactionCategorySerializer(txn, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="Set the category of many transactions",
        description="Give ids (at most 1000) or filters (those of the transaction list), and "
        "a category. With ids, one that is not yours or is a transfer refuses the whole "
        "request (400 naming them) and nothing changes; with filters, transfers are skipped. "
        "Each change is recorded in its transaction's history (source bulk), and counts as "
        "set by hand.",
        request=BulkCategorizeInputSerializer,
        responses={200: BulkCategorizeResultSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk-categorize",
        filter_backends=[],
        pagination_class=None,
    )
    def bulk_categorize(self, request):
        serializer = BulkCategorizeInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        if "ids" in data:
            target = {"ids": data["ids"]}
        else:
            target = {"queryset": self._filtered(data["filters"])}
        result = rule_services.transactions_bulk_categorize(
            user=user, category=data["category"], actor=user, **target
        )
        category = data["category"]
        return Response(
            BulkCategorizeResultSerializer(
                {
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "skipped_transfers": result.skipped_transfers,
                    "category": category.slug if category is not None else None,
                }
            ).data
        )

    def _filtered(self, filters: dict):
        unknown = sorted(str(name)[:40] for name in set(filters) - BULK_FILTERS)
        if unknown:
            raise ValidationError(
                {
                    "filters": [
                        f"Unknown filter: {', '.join(unknown)}. Use {', '.join(sorted(BULK_FILTERS))}."
                    ]
                }
            )
        values = {}
        for name, value in filters.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise ValidationError({"filters": [f"{name}: give a text or number value."]})
            values[name] = str(value)
        filterset = TransactionFilter(
            data=values,
            queryset=selectors.transaction_list(user=self.request.user),
            request=self.request,
        )
        if not filterset.is_valid():
            raise ValidationError({"filters": filterset.errors})
        return filterset.qs

    @extend_schema(
        summary="A transaction's category history",
        description="Every change of its category, newest first: old and new category, what "
        "made the change (manual, bulk, rule or import), the rule if any, who and when. A new "
        "transaction that got a category has a first row with no old category.",
        responses={200: CategoryChangeSerializer(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="category-history",
        filter_backends=[],
        serializer_class=CategoryChangeSerializer,
    )
    def category_history(self, request, pk=None):
        txn = self.get_object()
        changes = selectors.category_history(user=request.user, transaction=txn)
        page = self.paginate_queryset(changes)
        if page is None:
            return Response(CategoryChangeSerializer(changes, many=True).data)
        return self.get_paginated_response(CategoryChangeSerializer(page, many=True).data)

"""The customer insights API: each view parses its filters, calls one selector, serializes.

All figures follow DESIGN.md's "What the numbers mean": transfers never count, periods are
taken on txn_date, amounts are in the customer's base currency (each row converted at the
rate of its day), strings with 2 decimals beside ``currency``.
"""

from django_filters import filters as django_filters
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from insights import selectors
from insights.api.filters import (
    BURN_RATE_PARAMETERS,
    FILTER_PARAMETERS,
    MERCHANT_PARAMETERS,
    TREND_PARAMETERS,
    BurnRateFilterSerializer,
    InsightFilterSerializer,
    MerchantFilterSerializer,
    TrendFilterSerializer,
)
from insights.api.serializers import (
    BurnRateSerializer,
    CashFlowSerializer,
    CategoryBreakdownSerializer,
    MerchantBreakdownSerializer,
    TransactionMetricsSerializer,
    TrendsSerializer,
)
from smartbank.schema import MISSING_RATE_RESPONSE, FieldErrorsSerializer
from transactions import selectors as transaction_selectors
from transactions.api.filters import TransactionFilter

BAD_FILTER_RESPONSE = OpenApiResponse(
    FieldErrorsSerializer,
    description="A malformed filter: the message names the parameter (e.g. date_from after "
    "date_to, an account that is not yours, an unknown category).",
)

_COMMON = (
    " Transfers between your accounts never count. Amounts are in your base currency "
    "(currency), each transaction converted at the rate of its txn_date; the answer echoes "
    "the range it covers (date_from, date_to) with the defaults applied."
)


def _responses(serializer) -> dict:
    return {200: serializer, 400: BAD_FILTER_RESPONSE, 409: MISSING_RATE_RESPONSE}


class _InsightView(APIView):
    """Parses the query string with ``filter_serializer_class``; a bad value is a 400."""

    filter_serializer_class = InsightFilterSerializer

    def filters(self, request) -> dict:
        # An empty parameter means "not given", as on the transaction list (django-filter).
        given = {name: value for name, value in request.query_params.items() if value != ""}
        parsed = self.filter_serializer_class(data=given, context={"request": request})
        parsed.is_valid(raise_exception=True)
        return parsed.validated_data


class CashFlowView(_InsightView):
    @extend_schema(
        summary="Cash flow: income, expenses and net per month",
        description="Income is the sum of positive amounts, expenses minus the sum of negative "
        "amounts (shown positive; a refund is income), net = income - expenses. Every calendar "
        "month touching the range is listed, oldest first, months without transactions as "
        "zeros; only transactions inside the range count. The range totals are summed over "
        "the transactions themselves and rounded once, so with other currencies they may "
        "differ by a cent from the sum of the months." + _COMMON,
        parameters=FILTER_PARAMETERS,
        responses=_responses(CashFlowSerializer),
    )
    def get(self, request):
        scope = self.filters(request)["scope"]
        return Response(CashFlowSerializer(selectors.cash_flow(scope=scope)).data)


class MerchantsView(_InsightView):
    filter_serializer_class = MerchantFilterSerializer

    @extend_schema(
        summary="Top merchants by spending, with counts",
        description="Spending at a merchant is minus the sum of its transactions, so refunds "
        "reduce it; count is its transactions, refunds included. Merchants are grouped by "
        "their name exactly as stored. Transactions without a merchant are left out, and so "
        "are merchants whose spending nets to zero or less (e.g. an employer paying you). "
        "Most spent first, ties by name; limit (default 10, at most 100) merchants." + _COMMON,
        parameters=MERCHANT_PARAMETERS,
        responses=_responses(MerchantBreakdownSerializer),
    )
    def get(self, request):
        filters = self.filters(request)
        breakdown = selectors.merchant_spending(scope=filters["scope"], limit=filters["limit"])
        return Response(MerchantBreakdownSerializer(breakdown).data)


class CategoriesView(_InsightView):
    @extend_schema(
        summary="Spending and its share per category",
        description="Spending in a category is minus the sum of its transactions, so refunds "
        "reduce it. Uncategorised transactions are a row of their own (category null, "
        "category_name 'Uncategorised'). Only categories with positive spending are listed "
        "(income categories, or refunds exceeding purchases, are not spending); "
        "total_spending is the sum of those listed and share is each one's percent of it, "
        "2 decimals (rounded half to even, so shares may add up to 100 +- 0.0x). Most spent "
        "first." + _COMMON,
        parameters=FILTER_PARAMETERS,
        responses=_responses(CategoryBreakdownSerializer),
    )
    def get(self, request):
        scope = self.filters(request)["scope"]
        return Response(CategoryBreakdownSerializer(selectors.category_spending(scope=scope)).data)


class TrendsView(_InsightView):
    filter_serializer_class = TrendFilterSerializer

    @extend_schema(
        summary="Deposits and spending per month or week",
        description="Deposits are the sum of positive amounts, spending minus the sum of "
        "negative amounts (shown positive), per calendar month or ISO week (Monday to "
        "Sunday) on txn_date. Every period touching the range is listed, oldest first, empty "
        "ones as zeros; only transactions inside the range count, so the first and last "
        "periods may be partial. Totals are over the whole range, rounded once." + _COMMON,
        parameters=TREND_PARAMETERS,
        responses=_responses(TrendsSerializer),
    )
    def get(self, request):
        filters = self.filters(request)
        flow = selectors.cash_flow(scope=filters["scope"], period=filters["period"])
        return Response(TrendsSerializer(flow).data)


class BurnRateView(_InsightView):
    filter_serializer_class = BurnRateFilterSerializer

    @extend_schema(
        summary="Burn rate: daily spending, month-end projection and runway",
        description="Measured up to date_to (default: your today, in your time zone; never "
        "later). Spending is money out (minus the sum of negative amounts; refunds do not "
        "reduce it) over the 30 and 90 days up to date_to, both ends included; the daily "
        "averages divide by 30 and 90 however long your history is. The projected month-end "
        "spending is month-to-date spending plus the 30-day average times the days left in "
        "the month. The runway is your liquid balance (checking, savings and cash accounts "
        "as they stood at the end of date_to, converted at that day's rate) divided by the "
        "30-day average, in whole days: 0 when that balance is zero or below, null when the "
        "average is 0 or no liquid account is in scope. With account, only that account; "
        "with categories, the pace of spending in them. date_from echoes the first day of "
        "the 90-day window; giving it is a 400." + _COMMON,
        parameters=BURN_RATE_PARAMETERS,
        responses=_responses(BurnRateSerializer),
    )
    def get(self, request):
        scope = self.filters(request)["scope"]
        return Response(BurnRateSerializer(selectors.burn_rate(scope=scope)).data)


def _filter_parameter(name: str, filter_) -> OpenApiParameter:
    kind = OpenApiTypes.STR
    if isinstance(filter_, django_filters.DateFilter):
        kind = OpenApiTypes.DATE
    elif isinstance(filter_, django_filters.NumberFilter):
        kind = OpenApiTypes.DECIMAL
    elif isinstance(filter_, django_filters.ModelChoiceFilter):
        kind = OpenApiTypes.INT
    return OpenApiParameter(name, kind, description=str(filter_.extra.get("help_text", "")))


# The transaction list's own filters, documented from TransactionFilter itself.
METRICS_PARAMETERS = [
    _filter_parameter(name, filter_) for name, filter_ in TransactionFilter.base_filters.items()
]


class TransactionMetricsView(APIView):
    @extend_schema(
        tags=["transactions"],
        summary="Totals over your transactions: spent, average, top categories",
        description="Takes the transaction list's filters (GET /api/v1/transactions/), with "
        "the same meaning and the same 400s, and sums the transactions the list would show, "
        "transfers left out (kind=transfer gives zeros). Without date filters it covers your "
        "whole history (date_from and date_to are then null). total_spent is money out "
        "(minus the sum of negative amounts; a refund is money in), average_transaction is "
        "total_spent / expense_count (null when none), top_categories the 5 categories most "
        "spent in, net of refunds, uncategorised as category null. Amounts are in your base "
        "currency (currency), each transaction converted at the rate of its txn_date.",
        parameters=METRICS_PARAMETERS,
        responses=_responses(TransactionMetricsSerializer),
    )
    def get(self, request):
        filterset = TransactionFilter(
            request.query_params,
            queryset=transaction_selectors.transaction_list(user=request.user),
            request=request,
        )
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        given = filterset.form.cleaned_data
        # A bound and its alias both apply (AND), so the tighter one is the one in force.
        lower = [given[name] for name in ("date_from", "start_date") if given.get(name)]
        upper = [given[name] for name in ("date_to", "end_date") if given.get(name)]
        metrics = selectors.transaction_metrics(
            rows=filterset.qs,
            currency=request.user.base_currency,
            date_from=max(lower, default=None),
            date_to=min(upper, default=None),
        )
        return Response(TransactionMetricsSerializer(metrics).data)

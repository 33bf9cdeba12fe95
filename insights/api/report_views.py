"""/api/v1/reports/... (one customer's reports) and /api/v1/staff/portfolio/ (every customer).

Reports: a customer asks about themself; admin, auditor and support about any customer,
and each such staff request is written to the audit log (one row, after the figures are
computed, so a refused or failed request writes none). Whoever asks, an id that is not a
customer they may see is the same 404 "No such customer.", before any parameter is read.

Portfolio: admins and auditors only (support and customers get 403); each request is
audited too. A missing exchange rate is a 409 naming the pair and day, never a 1:1 guess.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.api.permissions import StaffRole, has_staff_role
from accounts.roles import PORTFOLIO_ROLES
from accounts.services import audit_record
from insights import reports
from insights.api.report_serializers import (
    AccountSummarySerializer,
    PortfolioRangeSerializer,
    PortfolioSerializer,
    ReportRangeSerializer,
    TransactionTrendsSerializer,
)
from smartbank.schema import MISSING_RATE_RESPONSE, ErrorDetailSerializer, FieldErrorsSerializer

NO_SUCH_CUSTOMER = "No such customer."

_CUSTOMER_ID = OpenApiParameter(
    "customer_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The customer's user id. Customers may give only their own; admin, auditor "
    "and support any customer's.",
)
_NOT_FOUND = OpenApiResponse(
    ErrorDetailSerializer,
    description='"No such customer.": not a customer\'s id, or not yours to see.',
)
_ALIASES = [
    OpenApiParameter("start_date", OpenApiTypes.DATE, description="Alias of date_from."),
    OpenApiParameter("end_date", OpenApiTypes.DATE, description="Alias of date_to."),
]
_TREND_DATES = [
    OpenApiParameter(
        "date_from",
        OpenApiTypes.DATE,
        description="txn_date on or after (YYYY-MM-DD). Default when neither date is given: "
        "the twelve months up to the customer's today (from the 1st of the month eleven "
        "months back, in the customer's time zone); with only date_to, the twelve months up "
        "to it; with only date_from, from it to the customer's today.",
    ),
    OpenApiParameter(
        "date_to", OpenApiTypes.DATE, description="txn_date on or before (YYYY-MM-DD)."
    ),
    *_ALIASES,
]
_BAD_RANGE = OpenApiResponse(
    FieldErrorsSerializer,
    description="A malformed date, a range the wrong way round, before 1900, more than a "
    "year ahead or longer than ten years: messages per parameter; nothing was written.",
)
_STAFF_NOTE = " A staff request is written to the audit log."


class _CustomerReportView(APIView):
    """Finds the customer (or 404s), then lets the subclass compute and audit."""

    audit_action: str

    def get_customer(self, request, customer_id: str):
        customer = reports.report_customer(viewer=request.user, customer_id=customer_id)
        if customer is None:
            raise exceptions.NotFound(NO_SUCH_CUSTOMER)
        return customer

    def audit(self, request, customer, **shown) -> None:
        """One audit row for a staff request; ``shown`` (e.g. the dates) goes into changes."""
        if has_staff_role(request.user):
            # changes holds (before, after) pairs; a read has only what it showed.
            audit_record(
                actor=request.user,
                action=self.audit_action,
                target=customer,
                changes={name: (None, value) for name, value in shown.items()},
            )


class AccountSummaryView(_CustomerReportView):
    audit_action = "report.account_summary.view"

    @extend_schema(
        summary="A customer's account summary",
        description="Total balance of the active accounts in the customer's base currency "
        "(converted at the rates of the customer's today), each account's balance, and "
        "transaction counts (all rows, and by kind)." + _STAFF_NOTE,
        parameters=[_CUSTOMER_ID],
        responses={200: AccountSummarySerializer, 404: _NOT_FOUND, 409: MISSING_RATE_RESPONSE},
    )
    def get(self, request, customer_id: str):
        customer = self.get_customer(request, customer_id)
        summary = reports.account_summary(customer=customer)
        self.audit(request, customer, as_of=summary.as_of)
        return Response(AccountSummarySerializer(summary).data)


class TransactionTrendsView(_CustomerReportView):
    audit_action = "report.transaction_trends.view"

    @extend_schema(
        summary="A customer's transaction trends per month",
        description="Money in, money out (positive), net and the number of transactions per "
        "calendar month, transfers excluded, in the customer's base currency (each row at "
        "its day's rate). Default range: the twelve months up to the customer's today."
        + _STAFF_NOTE,
        parameters=[_CUSTOMER_ID, *_TREND_DATES],
        responses={
            200: TransactionTrendsSerializer,
            400: _BAD_RANGE,
            404: _NOT_FOUND,
            409: MISSING_RATE_RESPONSE,
        },
    )
    def get(self, request, customer_id: str):
        customer = self.get_customer(request, customer_id)
        query = ReportRangeSerializer(
            data=request.query_params, context={"request": request, "customer": customer}
        )
        query.is_valid(raise_exception=True)
        scope = query.validated_data["scope"]
        trends = reports.transaction_trends(
            customer=customer, date_from=scope.date_from, date_to=scope.date_to
        )
        self.audit(request, customer, date_from=scope.date_from, date_to=scope.date_to)
        return Response(TransactionTrendsSerializer(trends).data)


class PortfolioView(APIView):
    permission_classes = [
        *api_settings.DEFAULT_PERMISSION_CLASSES,
        StaffRole.of(*PORTFOLIO_ROLES),
    ]

    @extend_schema(
        summary="The portfolio: every customer at once (admin and auditor)",
        description="Within the range (UTC days; default this month so far): sign-ups and "
        "spending by category. As they stand now: customers by KYC status, deposits, open "
        "alerts and overdue bills (overdue in each customer's own today). Converted totals "
        "are in REPORTING_CURRENCY. Each request is written to the audit log.",
        parameters=[
            OpenApiParameter(
                "date_from",
                OpenApiTypes.DATE,
                description="First day (YYYY-MM-DD, UTC). Default: the 1st of date_to's "
                "month, or of this month.",
            ),
            OpenApiParameter(
                "date_to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD). Default: today."
            ),
            *_ALIASES,
        ],
        responses={
            200: PortfolioSerializer,
            400: _BAD_RANGE,
            409: MISSING_RATE_RESPONSE,
        },
    )
    def get(self, request):
        query = PortfolioRangeSerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        scope = query.validated_data["scope"]
        portfolio = reports.portfolio(date_from=scope.date_from, date_to=scope.date_to)
        # The portfolio is about no one customer: the entry names the staff member as target.
        audit_record(
            actor=request.user,
            action="staff.portfolio.view",
            target=request.user,
            changes={"date_from": (None, scope.date_from), "date_to": (None, scope.date_to)},
        )
        return Response(PortfolioSerializer(portfolio).data)

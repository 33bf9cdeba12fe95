"""/api/v1/dashboard/overview/: a thin view over insights.overview.dashboard_overview."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from insights.api.overview_serializers import OverviewSerializer
from insights.overview import dashboard_overview


class DashboardOverviewView(APIView):
    @extend_schema(
        tags=["dashboard"],
        summary="Your dashboard in one call",
        description="Your active accounts (count, each balance and the total in your base "
        "currency at your today's rate), this month's income, spending and net (transfers "
        "left out), this month's budgets against actual spending per category, unpaid bills "
        "due in the next 14 days and the overdue ones, unread alerts, reward points and your "
        "latest transactions. 'Today' and 'this month' are yours, in your time zone. A "
        "missing exchange rate does not fail the call: an account without a rate has "
        "balance_in_base null and is left out of the total (total_complete false), a "
        "section that needs it is null, and missing_rates names each pair, day and section.",
        responses={200: OverviewSerializer},
    )
    def get(self, request):
        return Response(OverviewSerializer(dashboard_overview(user=request.user)).data)

"""URL routes; included by smartbank.api_router."""

from django.urls import path, re_path

from insights.api import report_views

# [^/]+ rather than digits, so a malformed id reaches the view (authentication first, then
# the same "No such customer." 404 as any id the caller may not see).
urlpatterns = [
    re_path(
        r"^reports/account-summary/(?P<customer_id>[^/]+)/$",
        report_views.AccountSummaryView.as_view(),
        name="report-account-summary",
    ),
    re_path(
        r"^reports/transaction-trends/(?P<customer_id>[^/]+)/$",
        report_views.TransactionTrendsView.as_view(),
        name="report-transaction-trends",
    ),
    path("staff/portfolio/", report_views.PortfolioView.as_view(), name="staff-portfolio"),
]

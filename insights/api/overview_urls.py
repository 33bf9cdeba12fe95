"""URL routes; included by smartbank.api_router."""

from django.urls import path

from insights.api import overview_views

urlpatterns = [
    path(
        "dashboard/overview/",
        overview_views.DashboardOverviewView.as_view(),
        name="dashboard-overview",
    ),
]

"""URL routes; included by smartbank.api_router."""

from django.urls import path

from insights.api import views

urlpatterns = [
    path("insights/cash-flow/", views.CashFlowView.as_view(), name="insights-cash-flow"),
    path("insights/merchants/", views.MerchantsView.as_view(), name="insights-merchants"),
    path("insights/categories/", views.CategoriesView.as_view(), name="insights-categories"),
    path("insights/trends/", views.TrendsView.as_view(), name="insights-trends"),
    path("insights/burn-rate/", views.BurnRateView.as_view(), name="insights-burn-rate"),
    path(
        "transactions/metrics/",
        views.TransactionMetricsView.as_view(),
        name="transactions-metrics",
    ),
]

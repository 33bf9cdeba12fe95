from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from insights.views import DashboardView
from smartbank.health import healthz

admin.site.site_header = "SmartBank staff console"
admin.site.site_title = "SmartBank admin"
admin.site.index_title = "Operations"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("smartbank.api_router")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("healthz", healthz, name="healthz"),
    path("", include("accounts.urls")),
    # The nav and home() name the dashboard without a namespace (smartbank.web).
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("", include("insights.urls")),
    path("accounts/", include("accounts.account_urls")),
    path("transactions/", include("transactions.urls")),
    path("budgets/", include("budgets.urls")),
    path("bills/", include("bills.urls")),
    path("rewards/", include("rewards.urls")),
    path("alerts/", include("alerts.urls")),
]

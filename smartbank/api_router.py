"""The one DRF router for /api/v1/; each app's viewsets are registered here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api import auth as auth_views
from accounts.api import views as accounts_views
from alerts.api import views as alerts_views
from bills.api import views as bills_views
from budgets.api import views as budgets_views
from rewards.api import views as rewards_views
from transactions.api import category_views, import_profile_views, import_views, rule_views
from transactions.api import views as transactions_views

router = DefaultRouter()
router.register("accounts", accounts_views.BankAccountViewSet, basename="bankaccount")
router.register("transactions", transactions_views.TransactionViewSet, basename="transaction")
router.register("imports", import_views.ImportBatchViewSet, basename="importbatch")
router.register(
    "import-profiles", import_profile_views.ImportProfileViewSet, basename="importprofile"
)
# Before "categories", whose categories/{pk}/ would otherwise take "rules" as a pk.
router.register("categories/rules", rule_views.RuleViewSet, basename="categorizationrule")
router.register("categories", category_views.CategoryViewSet, basename="category")
router.register("budgets", budgets_views.BudgetViewSet, basename="budget")
router.register("bills", bills_views.BillViewSet, basename="bill")
router.register("rewards", rewards_views.RewardProgrammeViewSet, basename="rewardprogramme")
# Before "alerts", whose alerts/{pk}/ would otherwise take "subscriptions" as a pk.
router.register(
    "alerts/subscriptions", alerts_views.AlertSubscriptionViewSet, basename="alertsubscription"
)
router.register("alerts", alerts_views.AlertViewSet, basename="alert")

urlpatterns = [
    path("auth/", include("accounts.api.auth_urls")),
    path("users/me/", auth_views.MeView.as_view(), name="users-me"),
    # Before the router, whose transactions/{pk}/ would otherwise take "import" as a pk.
    path(
        "transactions/import/",
        import_views.StatementImportView.as_view(),
        name="transactions-import",
    ),
    # Before the router, whose transactions/{pk}/ would otherwise take "metrics" as a pk.
    path("", include("insights.api.insight_urls")),
    path("", include("insights.api.overview_urls")),
    path("", include("insights.api.report_urls")),
    path("", include("insights.api.export_urls")),
    path("", include("accounts.api.currency_urls")),
    path("", include(router.urls)),
]

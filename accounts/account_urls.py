"""Web pages; included by smartbank.urls."""

from django.urls import path

from accounts import account_views, currency_web_views

app_name = "accounts-web"
urlpatterns = [
    path("", account_views.AccountListView.as_view(), name="list"),
    path("new/", account_views.AccountCreateView.as_view(), name="create"),
    path("<int:pk>/", account_views.AccountDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", account_views.AccountUpdateView.as_view(), name="update"),
    path("<int:pk>/archive/", account_views.AccountArchiveView.as_view(), name="archive"),
    path("<int:pk>/restore/", account_views.AccountRestoreView.as_view(), name="restore"),
    path("currency/", currency_web_views.CurrencyView.as_view(), name="currency"),
]

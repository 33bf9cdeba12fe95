"""URL routes; included by smartbank.api_router."""

from django.urls import path

from accounts.api import currency_views

urlpatterns = [
    path("currency/rates/", currency_views.CurrencyRatesView.as_view(), name="currency-rates"),
    path(
        "currency/summary/", currency_views.CurrencySummaryView.as_view(), name="currency-summary"
    ),
    path(
        "currency/convert/", currency_views.CurrencyConvertView.as_view(), name="currency-convert"
    ),
]

"""The currency page: the customer's balances in their base currency, the rates of a day
and a converter. The same reads as /api/v1/currency/ (summary/, rates/, convert/), with
the same rules for what a date, currency code or amount may be. Nothing here writes.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import render
from django.views import View

from accounts.api.currency_serializers import RateField
from accounts.balances import balances_in_base, conversion_on, rates_on
from accounts.currency import MissingRateError
from accounts.currency_web_forms import CURRENCY_LIST_ID, CurrencyConvertForm, CurrencyRatesForm

# A rate as the API writes it: a plain decimal, trailing zeros dropped ("0.8000" -> "0.8").
_rate_text = RateField().to_representation


def _optional_rate(rate) -> str | None:
    return None if rate is None else _rate_text(rate)


class CurrencyView(LoginRequiredMixin, View):
    """GET: the page, its rates for ?base= and ?date= (a bad one is a 400 beside its field,
    the rates shown being the defaults). POST: convert; a bad field is a 400 beside it, a
    missing rate a 409 above the form (the API's 409)."""

    template_name = "accounts/currency.html"

    def get(self, request):
        return self._render(request, CurrencyConvertForm(request=request, auto_id="convert_%s"))

    def post(self, request):
        form = CurrencyConvertForm(request.POST, request=request, auto_id="convert_%s")
        if not form.is_valid():
            return self._render(request, form, status=400)
        data = form.validated
        try:
            conversion = conversion_on(
                amount=data["amount"],
                from_currency=data["from_currency"],
                to_currency=data["to_currency"],
                day=data.get("date") or request.user.today(),
            )
        except MissingRateError as error:
            form.add_error(None, f"{error} Try another date, or convert through another currency.")
            return self._render(request, form, status=409)
        return self._render(request, form, conversion=conversion)

    def _render(self, request, convert_form, *, conversion=None, status=200):
        user = request.user
        today = user.today()
        rates_form = CurrencyRatesForm(request.GET or None, request=request, auto_id="rates_%s")
        if rates_form.is_bound and not rates_form.is_valid():
            status = 400
        base = rates_form.validated.get("base") or user.base_currency
        rates = rates_on(base=base, day=rates_form.validated.get("date") or today)
        if not rates_form.is_bound:
            rates_form = CurrencyRatesForm(
                request=request,
                auto_id="rates_%s",
                initial={"base": base, "date": today.isoformat()},
            )
        if not convert_form.is_bound:
            convert_form.initial = {"from_currency": user.base_currency}
        balances = balances_in_base(user=user, day=today)
        context = {
            "balances": balances,
            "account_rows": [(item, _optional_rate(item.rate)) for item in balances.accounts],
            "currency_rows": [(item, _optional_rate(item.rate)) for item in balances.currencies],
            "rates": rates,
            "rate_rows": [(quoted, _optional_rate(quoted.rate)) for quoted in rates.rates],
            "rates_form": rates_form,
            "convert_form": convert_form,
            "conversion": conversion,
            "conversion_rate": conversion and _rate_text(conversion.rate),
            "currency_list_id": CURRENCY_LIST_ID,
        }
        return render(request, self.template_name, context, status=status)

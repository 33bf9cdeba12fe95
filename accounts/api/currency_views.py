"""/api/v1/currency/: rates on a day, your balances in your base currency, a conversion.

Thin views over accounts.balances and accounts.currency. Nothing here writes. A missing
rate is answered per item where a list has many (rates: null; summary: the account's
balance_in_base null, the pair in missing_rates, total_complete false), and is a 409
naming the pair and day where the answer is that one rate (convert).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.currency_serializers import (
    CurrencyConversionSerializer,
    CurrencyConvertInputSerializer,
    CurrencyRatesQuerySerializer,
    CurrencyRatesSerializer,
    CurrencySummarySerializer,
)
from accounts.balances import balances_in_base, conversion_on, rates_on
from smartbank.schema import MISSING_RATE_RESPONSE, FieldErrorsSerializer

_BAD_QUERY = OpenApiResponse(
    FieldErrorsSerializer, description="A malformed parameter: messages per parameter."
)


class CurrencyRatesView(APIView):
    @extend_schema(
        tags=["currency"],
        summary="Exchange rates on a day",
        description="What 1 base buys in each currency on the date, by the one rule every "
        "conversion uses: the latest rate on or before the date (a Saturday uses Friday's), "
        "the pair, its reverse inverted or the cross via the euro, whichever is most recent. "
        "day is the date of the stored rate used. A currency with no rate on or before the "
        "date has rate null. currencies lists every currency the rates table knows.",
        parameters=[CurrencyRatesQuerySerializer],
        responses={200: CurrencyRatesSerializer, 400: _BAD_QUERY},
    )
    def get(self, request):
        query = CurrencyRatesQuerySerializer(
            data=request.query_params, context={"request": request}
        )
        query.is_valid(raise_exception=True)
        params = query.validated_data
        rates = rates_on(
            base=params.get("base") or request.user.base_currency,
            day=params.get("date") or request.user.today(),
            quotes=params.get("quotes"),
        )
        return Response(CurrencyRatesSerializer(rates).data)


class CurrencySummaryView(APIView):
    @extend_schema(
        tags=["currency"],
        summary="Your balances in your base currency",
        description="Each active account's balance as stored (liabilities negative), its "
        "rate into your base currency on your today and its balance in the base currency; "
        "totals per currency; and the total of all of them in your base currency (each "
        "currency's sum converted at its unrounded rate, rounded once). A missing rate does "
        "not fail the answer: those accounts have balance_in_base null, the pair and day are "
        "listed in missing_rates, and the total leaves them out with total_complete false.",
        responses={200: CurrencySummarySerializer},
    )
    def get(self, request):
        return Response(CurrencySummarySerializer(balances_in_base(user=request.user)).data)


class CurrencyConvertView(APIView):
    @extend_schema(
        tags=["currency"],
        summary="Convert an amount between currencies",
        description="amount (0 or more, at most two decimals) of from_currency in "
        "to_currency at the rate of date (default your today; from 1999-01-01, not in the "
        "future), by the rule of GET /currency/rates/. The converted amount is rounded to "
        "the cent once, half to even. Nothing is stored.",
        request=CurrencyConvertInputSerializer,
        responses={200: CurrencyConversionSerializer, 409: MISSING_RATE_RESPONSE},
    )
    def post(self, request):
        serializer = CurrencyConvertInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        day = data.get("date") or request.user.today()
        # One book for the rate and the conversion: the rates are read once.
        conversion = conversion_on(  # MissingRateError: the 409
            amount=data["amount"],
            from_currency=data["from_currency"],
            to_currency=data["to_currency"],
            day=day,
        )
        return Response(
            CurrencyConversionSerializer(
                {
                    "amount": conversion.amount,
                    "from_currency": conversion.from_currency,
                    "to_currency": conversion.to_currency,
                    "date": conversion.day,
                    "rate": conversion.rate,
                    "converted_amount": conversion.converted_amount,
                }
            ).data
        )

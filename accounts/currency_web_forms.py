"""Forms of the currency page. Their rules are the API's: each form is cleaned by the input
serializer of its API twin (accounts.api.currency_serializers), so a date, currency code or
amount is accepted or refused, with the same message, by one piece of code for both."""

from typing import Any

from django import forms
from rest_framework import serializers

from accounts.account_forms import DateInput
from accounts.api.currency_serializers import (
    CurrencyConvertInputSerializer,
    CurrencyRatesQuerySerializer,
)

# The id of the page's <datalist> of known currency codes, offered by every code field.
CURRENCY_LIST_ID = "currency-codes"


def _code_input() -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "list": CURRENCY_LIST_ID,
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "size": 5,
        }
    )


class SerializerRulesForm(forms.Form):
    """A form whose fields only carry text; ``serializer_class`` decides what is valid.

    Every field is optional here so the serializer alone says "This field is required.";
    a blank field is left out of its data, as an omitted API parameter is. Its errors land
    beside the field of the same name (``non_field_errors`` above the form). ``validated``
    holds the serializer's validated data once the form is valid.
    """

    serializer_class: type[serializers.Serializer]

    def __init__(self, *args: Any, request, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.validated: dict[str, Any] = {}

    def clean(self):
        cleaned = super().clean()
        data = {name: value for name, value in cleaned.items() if value not in ("", None)}
        serializer = self.serializer_class(data=data, context={"request": self.request})
        if serializer.is_valid():
            self.validated = dict(serializer.validated_data)
            return cleaned
        for name, messages in serializer.errors.items():
            field = name if name in self.fields else None
            for message in messages:
                self.add_error(field, str(message))
        return cleaned


class CurrencyRatesForm(SerializerRulesForm):
    """The rates table's base currency and day: GET /api/v1/currency/rates/'s rules."""

    serializer_class = CurrencyRatesQuerySerializer

    base = forms.CharField(
        required=False,
        strip=True,
        label="Base currency",
        help_text="What 1 unit of it buys. ISO 4217 code, e.g. EUR.",
        widget=_code_input(),
    )
    date = forms.CharField(
        required=False,
        strip=True,
        label="Date",
        help_text="From 1999-01-01 to today. A weekend day uses Friday's rates.",
        widget=DateInput(),
    )


class CurrencyConvertForm(SerializerRulesForm):
    """Amount, from, to and day: POST /api/v1/currency/convert/'s rules."""

    serializer_class = CurrencyConvertInputSerializer

    amount = forms.CharField(
        required=False,
        strip=True,
        label="Amount",
        help_text="e.g. 100.00: at most two decimals.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    from_currency = forms.CharField(
        required=False, strip=True, label="From", help_text="e.g. USD.", widget=_code_input()
    )
    to_currency = forms.CharField(
        required=False, strip=True, label="To", help_text="e.g. EUR.", widget=_code_input()
    )
    date = forms.CharField(
        required=False,
        strip=True,
        label="Date",
        help_text="The day whose rate is used; today when left empty.",
        widget=DateInput(),
    )

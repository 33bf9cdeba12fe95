"""Forms of the customer's web pages for sign-up and profile; they call accounts.services."""

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html

from accounts.models import User
from accounts.services import USER_PROFILE_FIELDS, user_signup, user_update
from smartbank.admin import ServiceFormMixin
from smartbank.money import is_currency_code, normalize_currency_code


class _CurrencyCleaning:
    def clean_base_currency(self) -> str:
        code = normalize_currency_code(self.cleaned_data["base_currency"])
        if not is_currency_code(code):
            raise forms.ValidationError(f"{code[:10]} is not an ISO 4217 currency code.")
        return code


class SignupForm(_CurrencyCleaning, ServiceFormMixin, forms.Form):
    full_name = forms.CharField(max_length=150, label="Full name")
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    base_currency = forms.CharField(
        max_length=3,
        initial="EUR",
        label="Base currency",
        help_text="Totals are shown in it, e.g. EUR.",
    )
    time_zone = forms.CharField(
        max_length=64,
        initial="UTC",
        label="Time zone",
        help_text="Your months and 'today' follow it, e.g. Europe/Berlin.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return cleaned

    def apply(self) -> User:
        data = self.cleaned_data
        return user_signup(
            email=data["email"],
            password=data["password"],
            full_name=data["full_name"],
            base_currency=data["base_currency"],
            time_zone=data["time_zone"],
        )


class ProfileForm(_CurrencyCleaning, ServiceFormMixin, forms.Form):
    """The customer's own profile; the same service and validation as PATCH users/me/."""

    def __init__(self, *args, user: User, **kwargs) -> None:
        kwargs["initial"] = {name: getattr(user, name) for name in USER_PROFILE_FIELDS}
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields.update(
            forms.fields_for_model(
                User,
                fields=USER_PROFILE_FIELDS,
                labels={"locale": "Language and region", "time_zone": "Time zone"},
                help_texts={
                    "locale": "How money and dates are written, e.g. en-gb or de-de.",
                    "time_zone": "Your months and 'today' follow it, e.g. Europe/London.",
                    "base_currency": "Totals across your accounts are shown in it.",
                },
            )
        )

    def apply(self) -> User:
        changes = {name: self.cleaned_data[name] for name in self.changed_data}
        return user_update(user=self.user, actor=self.user, **changes)

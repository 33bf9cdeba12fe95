"""Staff console forms for users, bank accounts and exchange rates.

Users and bank accounts are saved through accounts.services (see
smartbank.admin.ServiceFormMixin), so the audit log and the ledger are kept.
"""

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from accounts.models import BankAccount, ExchangeRate, User
from accounts.services import (
    USER_PROFILE_FIELDS,
    account_create,
    account_update,
    audit_if_staff,
    user_set_kyc_status,
    user_set_role,
    user_signup,
    user_update,
)
from smartbank.admin import ServiceFormMixin
from smartbank.money import normalize_currency_code

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones())]


class UserAdminCreationForm(ServiceFormMixin, BaseUserCreationForm):
    """A new user by email (there is no username), created with user_signup."""

    class Meta:
        model = User
        fields = ("email", "full_name", "phone", "role")

    def clean_email(self) -> str:
        return User.objects.normalize_login_email(self.cleaned_data["email"])

    def apply(self) -> User:
        data = self.cleaned_data
        user = user_signup(
            email=data["email"],
            password=data["password1"],
            full_name=data.get("full_name", ""),
            phone=data.get("phone", ""),
        )
        audit_if_staff(
            actor=self.actor,
            owner=user,
            action="user.create",
            target=user,
            changes={"email": (None, user.email)},
        )
        if data["role"] != User.Role.CUSTOMER:
            user_set_role(user=user, role=data["role"], actor=self.actor)
        return user


class UserAdminChangeForm(ServiceFormMixin, UserChangeForm):
    """Profile through user_update, role through user_set_role, KYC through user_set_kyc_status."""

    PROFILE_FIELDS = (*USER_PROFILE_FIELDS, "email", "is_active")

    time_zone = forms.ChoiceField(choices=TIME_ZONE_CHOICES)

    class Meta:
        model = User
        fields = (
            "email",
            "password",
            "full_name",
            "phone",
            "role",
            "kyc_status",
            "base_currency",
            "time_zone",
            "locale",
            "is_active",
        )

    def clean_email(self) -> str:
        return User.objects.normalize_login_email(self.cleaned_data["email"])

    def clean_base_currency(self) -> str:
        return normalize_currency_code(self.cleaned_data["base_currency"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.actor is not None and self.instance.pk == self.actor.pk:
            # Staff could lock themselves out of the console; another admin must do it.
            if "role" in self.changed_data:
                self.add_error("role", "You cannot change your own role.")
            if "is_active" in self.changed_data and not data.get("is_active"):
                self.add_error("is_active", "You cannot deactivate yourself.")
        return data

    def apply(self) -> User:
        # The form has already copied its values onto self.instance; the services compare
        # against what is stored, so they get a fresh copy.
        user = User.objects.get(pk=self.instance.pk)
        profile = self.changed_values(self.PROFILE_FIELDS)
        if profile:
            user_update(user=user, actor=self.actor, **profile)
        if "role" in self.changed_data:
            user_set_role(user=user, role=self.cleaned_data["role"], actor=self.actor)
        if "kyc_status" in self.changed_data:
            user_set_kyc_status(
                user=user, kyc_status=self.cleaned_data["kyc_status"], actor=self.actor
            )
        return user


class BankAccountAdminCreationForm(ServiceFormMixin, forms.ModelForm):
    """A new account through account_create: its balance starts at its opening balance."""

    account_number = forms.CharField(
        required=False,
        max_length=64,
        help_text="Full number, card number or IBAN; only the last four characters are stored.",
    )

    class Meta:
        model = BankAccount
        fields = (
            "user",
            "name",
            "bank_name",
            "account_type",
            "account_number",
            "currency",
            "opening_balance",
            "opening_date",
            "credit_limit",
        )

    def clean_currency(self) -> str:
        return normalize_currency_code(self.cleaned_data["currency"])

    def apply(self) -> BankAccount:
        data = self.cleaned_data
        return account_create(
            user=data["user"],
            name=data["name"],
            bank_name=data.get("bank_name", ""),
            account_type=data["account_type"],
            account_number=data.get("account_number", ""),
            currency=data["currency"],
            opening_balance=data["opening_balance"],
            opening_date=data["opening_date"],
            credit_limit=data.get("credit_limit"),
            actor=self.actor,
        )


class BankAccountAdminChangeForm(ServiceFormMixin, forms.ModelForm):
    """Changes through account_update. The balance and opening balance are not editable here."""

    EDITABLE_FIELDS = (
        "name",
        "bank_name",
        "account_type",
        "account_number",
        "currency",
        "opening_date",
        "credit_limit",
        "is_archived",
    )

    account_number = forms.CharField(
        required=False,
        max_length=64,
        help_text="Leave empty to keep the current number. Only the last four characters are stored.",
    )

    class Meta:
        model = BankAccount
        fields = (
            "name",
            "bank_name",
            "account_type",
            "account_number",
            "currency",
            "opening_date",
            "credit_limit",
            "is_archived",
        )

    def clean_currency(self) -> str:
        return normalize_currency_code(self.cleaned_data["currency"])

    def apply(self) -> BankAccount:
        fields = self.changed_values(self.EDITABLE_FIELDS)
        if not fields.get("account_number"):
            fields.pop("account_number", None)
        return account_update(account=self.instance, actor=self.actor, **fields)


class ExchangeRateAdminForm(forms.ModelForm):
    """A rate staff type in by hand. Codes are ISO 4217 (the model validates them)."""

    class Meta:
        model = ExchangeRate
        fields = ("day", "base", "quote", "rate")
        help_texts = {"rate": "How many units of the quote currency one unit of the base buys."}

    def clean_base(self) -> str:
        return normalize_currency_code(self.cleaned_data["base"])

    def clean_quote(self) -> str:
        return normalize_currency_code(self.cleaned_data["quote"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("base") and data.get("base") == data.get("quote"):
            self.add_error("quote", "The quote currency must differ from the base currency.")
        return data

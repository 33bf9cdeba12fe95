"""Forms for rewards: the staff console's, and the customer's redemption on the web page.

A programme's points change only through rewards.services.points_adjust (audited), called
by the adjustment form on the programme's "Adjust points" page. Earning rules and
redemption rates are plain settings that staff edit; the admin audits each change.
"""

from typing import Any

from django import forms

from rewards.models import EarningRule, PointsEntry, RedemptionRate, RewardProgramme
from rewards.services import POINTS_MAX, points_adjust, points_redeem
from smartbank.admin import ServiceFormMixin
from smartbank.money import normalize_currency_code


class PointsAdjustForm(ServiceFormMixin, forms.Form):
    """An adjustment of a programme's points, applied by rewards.services.points_adjust.

    The service runs when the form validates (smartbank.admin.ServiceFormMixin): a refusal
    is a form error, and ``saved_object`` is the new entry.
    """

    points = forms.IntegerField(
        min_value=-POINTS_MAX,
        max_value=POINTS_MAX,
        help_text="Positive adds points, negative takes them away; the balance cannot go "
        "below zero.",
    )
    reason = forms.CharField(
        max_length=255,
        help_text="Why: the customer sees it in their points history, the audit log keeps it.",
    )

    def __init__(self, *args, programme: RewardProgramme, actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.actor = actor

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("Adjust by a number other than zero.")
        return points

    def apply(self) -> PointsEntry:
        return points_adjust(
            programme=self.programme,
            points=self.cleaned_data["points"],
            reason=self.cleaned_data["reason"],
            actor=self.actor,
        )


class EarningRuleAdminForm(forms.ModelForm):
    class Meta:
        model = EarningRule
        fields = ("name", "kind", "points", "categories", "active", "starts_on")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        categories = data.get("categories")
        if kind == EarningRule.Kind.CATEGORY_SPEND and not categories:
            self.add_error("categories", "Choose the categories whose spending earns points.")
        if kind == EarningRule.Kind.BILL_ON_TIME and categories:
            self.add_error("categories", "A rule for bills paid on time has no categories.")
        return data


class RedemptionRateAdminForm(forms.ModelForm):
    class Meta:
        model = RedemptionRate
        fields = ("currency", "points_per_unit", "minimum_points")

    def clean_currency(self) -> str:
        return normalize_currency_code(self.cleaned_data["currency"])


# --- The customer's web pages -----------------------------------------------------------


class RedeemAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.currency})"


class PointsRedeemForm(ServiceFormMixin, forms.Form):
    """Points for a statement credit, through rewards.services.points_redeem.

    The accounts offered are the customer's own open ones, so another customer's account
    id is an invalid choice; the service checks the rate, the minimum and the balance.
    """

    points = forms.IntegerField(
        min_value=1,
        max_value=POINTS_MAX,
        help_text="Whole points; the credit is rounded down to the cent.",
    )
    account = RedeemAccountChoiceField(
        queryset=None, label="Credit to", help_text="One of your open accounts."
    )

    def __init__(self, *args, programme: RewardProgramme, user, **kwargs) -> None:
        from accounts.models import BankAccount

        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["account"].queryset = (
            BankAccount.objects.for_user(user).active().order_by("name", "pk")
        )

    def apply(self):
        return points_redeem(
            programme=self.programme,
            points=self.cleaned_data["points"],
            account=self.cleaned_data["account"],
        )

"""Staff console forms for rewards.

A programme's points change only through rewards.services.points_adjust (audited), called
by the adjustment form on the programme's "Adjust points" page. Earning rules and
redemption rates are plain settings that staff edit; the admin audits each change.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from rewards.models import EarningRule, PointsEntry, RedemptionRate, RewardProgramme
from rewards.services import POINTS_MAX, points_adjust
from smartbank.money import normalize_currency_code


class PointsAdjustForm(forms.Form):
    """An adjustment of a programme's points, applied by rewards.services.points_adjust."""

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

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError("Adjust by a number other than zero.")
        return points

    def apply(self, *, programme: RewardProgramme, actor) -> PointsEntry | None:
        """Run the adjustment; a refusal becomes a form error and None is returned."""
        try:
            return points_adjust(
                programme=programme,
                points=self.cleaned_data["points"],
                reason=self.cleaned_data["reason"],
                actor=actor,
            )
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                self.add_error(None, exc)
                return None
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
            return None


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

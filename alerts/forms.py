"""Forms of the customer's alerts pages: the list's filters, and preferences saved through
alerts.services.subscription_update (which validates and names the field at fault)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from alerts.models import AlertType
from alerts.selectors import Preference, alert_preferences
from alerts.services import subscription_update
from smartbank.admin import ServiceFormMixin

CHANNELS = (("in_app", "In the app"), ("email", "Email"), ("sms", "Text message"))


class AlertFilterForm(forms.Form):
    """The list's filters (?show=unread, ?type=<alert type>); empty means everything."""

    show = forms.ChoiceField(
        choices=(("", "All alerts"), ("unread", "Unread only")), required=False, label="Show"
    )
    type = forms.ChoiceField(
        choices=(("", "Every type"), *AlertType.choices), required=False, label="Type"
    )


class AlertPreferencesForm(ServiceFormMixin, forms.Form):
    """Every alert type's channels (and threshold, where it has one) on one form.

    Fields are named ``<alert_type>_<channel>`` and ``<alert_type>_threshold``. Only the
    types whose values changed are saved, each through subscription_update, all in one
    database transaction (ServiceFormMixin's savepoint): one refusal saves none of them.
    """

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        self.user = user
        self.preferences: dict[str, Preference] = alert_preferences(user)
        initial = {}
        for alert_type, preference in self.preferences.items():
            for channel, _ in CHANNELS:
                initial[f"{alert_type}_{channel}"] = getattr(preference, channel)
            if preference.has_threshold:
                initial[f"{alert_type}_threshold"] = preference.threshold
        super().__init__(*args, initial=initial, **kwargs)
        for alert_type, type_label in AlertType.choices:
            for channel, channel_label in CHANNELS:
                self.fields[f"{alert_type}_{channel}"] = forms.BooleanField(
                    required=False, label=f"{channel_label} for {type_label}"
                )
            if self.preferences[alert_type].has_threshold:
                self.fields[f"{alert_type}_threshold"] = forms.DecimalField(
                    required=False,
                    min_value=Decimal("0"),
                    max_digits=14,
                    decimal_places=2,
                    label=f"Threshold for {type_label} ({user.base_currency})",
                    help_text="Empty goes back to the default.",
                )

    def rows(self) -> list[dict[str, Any]]:
        """One row per alert type: its label and bound fields, for the template's table."""
        return [
            {
                "alert_type": alert_type,
                "label": label,
                "channels": [self[f"{alert_type}_{channel}"] for channel, _ in CHANNELS],
                "threshold": self[f"{alert_type}_threshold"]
                if f"{alert_type}_threshold" in self.fields
                else None,
            }
            for alert_type, label in AlertType.choices
        ]

    def apply(self) -> list[Preference]:
        changed = set(self.changed_data)
        saved = []
        errors: dict[str, list] = {}
        for alert_type in AlertType.values:
            names = {
                name.removeprefix(f"{alert_type}_")
                for name in changed
                if name.startswith(f"{alert_type}_")
            }
            if not names:
                continue
            values = {name: self.cleaned_data[f"{alert_type}_{name}"] for name in names}
            try:
                saved.append(subscription_update(user=self.user, alert_type=alert_type, **values))
            except ValidationError as exc:
                for name, messages in exc.message_dict.items():
                    errors[f"{alert_type}_{name}"] = messages
        if errors:
            raise ValidationError(errors)
        return saved

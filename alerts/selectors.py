"""Reads for alerts: a customer's preferences (defaults filled) and their alert feed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import User
from alerts.models import THRESHOLD_DEFAULTS, Alert, AlertSubscription, AlertType, Channel


@dataclass(frozen=True)
class Preference:
    """What a customer wants for one alert type: where it goes, and its amount if it has one.

    ``threshold`` is in the user's base currency, set only for the types that have one
    (low_balance, large_transaction): the customer's amount, or the default. ``customised``
    says whether a stored row exists (False: every value is the default).
    """

    alert_type: str
    in_app: bool = True
    email: bool = True
    sms: bool = False
    threshold: Decimal | None = None
    customised: bool = False

    @property
    def enabled(self) -> bool:
        """Whether an alert of this type is raised at all (some channel is on)."""
        return self.in_app or self.email or self.sms

    @property
    def channels(self) -> list[str]:
        """The notification channels to use, in a stable order."""
        return [
            channel for channel, on in ((Channel.EMAIL, self.email), (Channel.SMS, self.sms)) if on
        ]

    @property
    def has_threshold(self) -> bool:
        return self.alert_type in THRESHOLD_DEFAULTS


def default_preference(alert_type: str) -> Preference:
    return Preference(alert_type=alert_type, threshold=THRESHOLD_DEFAULTS.get(alert_type))


def preference_from(row: AlertSubscription) -> Preference:
    """The preference a stored row gives (its threshold defaulted where it has one)."""
    threshold = None
    if row.alert_type in THRESHOLD_DEFAULTS:
        threshold = (
            row.threshold if row.threshold is not None else THRESHOLD_DEFAULTS[row.alert_type]
        )
    return Preference(
        alert_type=row.alert_type,
        in_app=row.in_app,
        email=row.email,
        sms=row.sms,
        threshold=threshold,
        customised=True,
    )


def alert_preferences(user: User) -> dict[str, Preference]:
    """Every alert type for ``user``, stored choices over the defaults. One query."""
    return alert_preferences_for_users([user.pk])[user.pk]


def alert_preferences_for_users(user_ids: Iterable[int]) -> dict[int, dict[str, Preference]]:
    """``alert_preferences`` for many users at once, keyed by user id. One query."""
    user_ids = list(dict.fromkeys(user_ids))
    result = {
        user_id: {alert_type: default_preference(alert_type) for alert_type in AlertType.values}
        for user_id in user_ids
    }
    if not user_ids:
        return result
    rows = AlertSubscription.objects.filter(user_id__in=user_ids).order_by()
    for row in rows:
        if row.alert_type in AlertType.values:
            result[row.user_id][row.alert_type] = preference_from(row)
    return result


def alert_list(*, user: User) -> QuerySet[Alert]:
    """The alerts a customer can reach (not deleted, raised for the app), newest first."""
    return Alert.objects.for_user(user).visible().order_by("-created_at", "-id")


def alert_unread_count(*, user: User) -> int:
    return Alert.objects.for_user(user).active().filter(read_at__isnull=True).count()

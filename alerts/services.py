"""Alerts: raising them once per cause, the customer's read / dismiss / delete, preferences.

Invariant: an alert is stored at most once per (user, key) — the unique constraint keeps it
so under concurrency — and its key outlives it (delete only sets ``deleted_at``), so the
same cause never raises it again. Raising one queues its notifications on the channels the
customer's preferences turn on, in the same database transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from alerts.models import (
    THRESHOLD_DEFAULTS,
    Alert,
    AlertSubscription,
    AlertType,
    Severity,
)
from alerts.notifications import build_notifications, notifications_create, render_email
from alerts.selectors import (
    Preference,
    alert_preferences,
    alert_preferences_for_users,
    preference_from,
)
from smartbank.bulk import chunked
from smartbank.money import MONEY_MAX, quantize_money

logger = logging.getLogger(__name__)

# A transaction counts for an alert only when it is at most this many days old (the user's
# today), so importing years of history raises nothing for the old rows.
ALERT_RECENT_DAYS = 31

SMS_MAX_LENGTH = 480


def recent_cutoff(*, user: User) -> date:
    """The first day that counts as recent for ``user``."""
    return user.today() - timedelta(days=ALERT_RECENT_DAYS)


def is_recent(*, user: User, day: date) -> bool:
    """Whether something on ``day`` is recent enough to raise an alert (see ALERT_RECENT_DAYS)."""
    return day >= recent_cutoff(user=user)


# --- Raising --------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertSpec:
    """One alert to raise: what ``alert_raise`` takes, for raising many at once."""

    user: User
    alert_type: str
    key: str
    title: str
    message: str = ""
    severity: str = Severity.INFO
    data: dict[str, Any] = field(default_factory=dict)


def _check_spec(spec: AlertSpec) -> None:
    if spec.alert_type not in AlertType.values:
        raise ValueError(f"Unknown alert type {spec.alert_type!r}.")
    if spec.severity not in Severity.values:
        raise ValueError(f"Unknown severity {spec.severity!r}.")
    if not spec.key or len(spec.key) > Alert._meta.get_field("key").max_length:
        raise ValueError(f"An alert key is 1 to 200 characters, got {spec.key!r}.")


def notification_key(alert: Alert) -> str:
    """An alert's notifications are keyed by its user and key: sent once, like the alert."""
    return f"alert:{alert.user_id}:{alert.key}"


def _alert_notifications(alert: Alert, preference: Preference) -> list:
    if not preference.channels:
        return []
    context = {"user": alert.user, "alert": alert}
    subject, text, html = render_email("alert", context)
    sms_text = " ".join(render_to_string("alerts/sms/alert.txt", context).split())
    return build_notifications(
        user=alert.user,
        key=notification_key(alert),
        channels=preference.channels,
        subject=subject,
        text=text,
        html=html,
        sms_text=sms_text[:SMS_MAX_LENGTH],
        alert=alert,
    )


@db_transaction.atomic
def alerts_raise(*, specs: Iterable[AlertSpec]) -> list[Alert]:
    """Raise many alerts at once; returns the ones this call stored.

    For each spec: nothing when the user turned the type off on every channel; nothing when
    (user, key) exists already (never an error). Otherwise the alert is stored (with
    ``in_app`` False and ``dismissed_at`` set when in-app is off: hidden, but its key
    holds) and its notifications are queued on the user's email / SMS channels, keyed
    ``alert:{user_id}:{key}`` so they too go out once.

    A fixed number of queries per 500 keys, however many specs: preferences, existing keys,
    one bulk insert ignoring conflicts (a concurrent raise of the same key keeps its row),
    the new rows read back, then the notifications' own bulk insert. Under a race an alert
    stored by the other writer may be returned here too; its notifications are still
    queued once, by their unique (key, channel).
    """
    wanted: dict[tuple[int, str], AlertSpec] = {}
    for spec in specs:
        _check_spec(spec)
        wanted.setdefault((spec.user.pk, spec.key), spec)
    if not wanted:
        return []
    preferences = alert_preferences_for_users(user_id for user_id, _ in wanted)
    wanted = {
        pair: spec for pair, spec in wanted.items() if preferences[pair[0]][spec.alert_type].enabled
    }
    if not wanted:
        return []

    user_ids = sorted({user_id for user_id, _ in wanted})
    keys = sorted({key for _, key in wanted})
    existing: set[tuple[int, str]] = set()
    for chunk in chunked(keys):
        existing.update(
            Alert.objects.filter(user_id__in=user_ids, key__in=chunk)
            .order_by()
            .values_list("user_id", "key")
        )
    new = {pair: spec for pair, spec in wanted.items() if pair not in existing}
    if not new:
        return []

    now = timezone.now()
    rows = []
    for (user_id, _), spec in new.items():
        preference = preferences[user_id][spec.alert_type]
        rows.append(
            Alert(
                user=spec.user,
                alert_type=spec.alert_type,
                severity=spec.severity,
                title=spec.title[:200],
                message=spec.message,
                data=spec.data or {},
                key=spec.key,
                in_app=preference.in_app,
                dismissed_at=None if preference.in_app else now,
            )
        )
    Alert.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)

    created: list[Alert] = []
    new_keys = sorted({key for _, key in new})
    for chunk in chunked(new_keys):
        for alert in Alert.objects.filter(user_id__in=user_ids, key__in=chunk).order_by("pk"):
            if (alert.user_id, alert.key) in new:
                created.append(alert)

    notifications = []
    for alert in created:
        spec = new[(alert.user_id, alert.key)]
        alert.user = spec.user
        preference = preferences[alert.user_id][alert.alert_type]
        notifications.extend(_alert_notifications(alert, preference))
    notifications_create(notifications)
    return created


def alert_raise(
    *,
    user: User,
    alert_type: str,
    key: str,
    title: str,
    message: str = "",
    severity: str = Severity.INFO,
    data: dict[str, Any] | None = None,
) -> Alert | None:
    """Raise one alert once per (user, key); None when it exists or the type is turned off.

    See ``alerts_raise`` for what is stored and sent.
    """
    spec = AlertSpec(
        user=user,
        alert_type=alert_type,
        key=key,
        title=title,
        message=message,
        severity=severity,
        data=data or {},
    )
    created = alerts_raise(specs=[spec])
    return created[0] if created else None


# --- The customer's actions -----------------------------------------------------------


def alert_read(*, alert: Alert) -> Alert:
    """Mark an alert read (once: reading it again keeps the first time)."""
    if alert.read_at is None:
        alert.read_at = timezone.now()
        Alert.objects.filter(pk=alert.pk, read_at__isnull=True).update(read_at=alert.read_at)
    return alert


def alert_dismiss(*, alert: Alert) -> Alert:
    """Take an alert off the feed (it stays reachable by id); dismissing implies read."""
    now = timezone.now()
    changes = {}
    if alert.read_at is None:
        changes["read_at"] = alert.read_at = now
    if alert.dismissed_at is None:
        changes["dismissed_at"] = alert.dismissed_at = now
    if changes:
        Alert.objects.filter(pk=alert.pk).update(**changes)
    return alert


def alert_delete(*, alert: Alert) -> None:
    """Hide an alert for good. The row and its key stay, so it is never raised again."""
    if alert.deleted_at is None:
        alert.deleted_at = timezone.now()
        Alert.objects.filter(pk=alert.pk).update(deleted_at=alert.deleted_at)


def alerts_read_all(*, user: User) -> int:
    """Mark every unread alert on the user's list (not dismissed) read; returns how many."""
    return (
        Alert.objects.for_user(user)
        .active()
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )


# --- Preferences ----------------------------------------------------------------------

_UNSET = object()


@db_transaction.atomic
def subscription_update(
    *,
    user: User,
    alert_type: str,
    in_app: bool | None = None,
    email: bool | None = None,
    sms: bool | None = None,
    threshold: Decimal | None | object = _UNSET,
) -> Preference:
    """Change a customer's preference for one alert type; returns it with defaults filled.

    Arguments left out keep their current value; ``threshold=None`` goes back to the
    default. A threshold is money in the user's base currency, from 0 to MONEY_MAX, and only
    for low_balance and large_transaction. SMS needs a phone number on the profile.
    Raises ValidationError (field-level) and changes nothing on bad input.
    """
    if alert_type not in AlertType.values:
        raise ValidationError({"alert_type": f"Unknown alert type {alert_type!r}."})
    current = alert_preferences(user)[alert_type]
    errors: dict[str, str] = {}
    if threshold is not _UNSET and threshold is not None:
        if not current.has_threshold:
            names = " and ".join(sorted(THRESHOLD_DEFAULTS))
            errors["threshold"] = f"Only {names} alerts have a threshold."
        else:
            threshold = quantize_money(threshold)
            if threshold < 0:
                errors["threshold"] = "The threshold cannot be negative."
            elif threshold > MONEY_MAX:
                errors["threshold"] = "This threshold is too large."
    if sms and not current.sms and not user.phone:
        errors["sms"] = "Add a phone number to your profile before turning on text messages."
    if errors:
        raise ValidationError(errors)

    # get_or_create: two first changes at once make one row (the loser reads the winner's).
    row, _ = AlertSubscription.objects.select_for_update().get_or_create(
        user=user,
        alert_type=alert_type,
        defaults={"in_app": current.in_app, "email": current.email, "sms": current.sms},
    )
    if in_app is not None:
        row.in_app = in_app
    if email is not None:
        row.email = email
    if sms is not None:
        row.sms = sms
    if threshold is not _UNSET:
        row.threshold = threshold
    row.save()
    return preference_from(row)

"""Alerts, the customer's preferences for them, and the notifications that carry them.

An ``Alert`` is raised once per (user, key): the key names what caused it
(``large_transaction:{txn.pk}``, ``low_balance:{account.pk}:{day}``), so the same cause
never raises it twice. Deleting one through the API only sets ``deleted_at``: the row and
its key stay, so it is not raised again.

A ``Notification`` is one message on one channel. (key, channel) is unique, which is what
makes "one reminder per bill occurrence and channel" hold however often a job runs.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from smartbank.money import MONEY_DECIMAL_PLACES, MONEY_MAX_DIGITS

LOW_BALANCE_DEFAULT = Decimal("100.00")
LARGE_TRANSACTION_DEFAULT = Decimal("1000.00")


class AlertType(models.TextChoices):
    BUDGET_80 = "budget_80", "Budget at 80 %"
    BUDGET_EXCEEDED = "budget_exceeded", "Budget exceeded"
    LOW_BALANCE = "low_balance", "Low balance"
    BILL_DUE_SOON = "bill_due_soon", "Bill due soon"
    BILL_OVERDUE = "bill_overdue", "Bill overdue"
    AUTOPAY_FAILED = "autopay_failed", "Auto-pay failed"
    LARGE_TRANSACTION = "large_transaction", "Large transaction"
    UNUSUAL_SPENDING = "unusual_spending", "Unusual spending"


# The types whose preference carries an amount, in the user's base currency.
THRESHOLD_DEFAULTS = {
    AlertType.LOW_BALANCE: LOW_BALANCE_DEFAULT,
    AlertType.LARGE_TRANSACTION: LARGE_TRANSACTION_DEFAULT,
}


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class AlertQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def visible(self):
        """What the customer can reach: not deleted, and raised for the app (in_app on)."""
        return self.filter(deleted_at__isnull=True, in_app=True)

    def active(self):
        """The customer's feed: visible and not dismissed."""
        return self.visible().filter(dismissed_at__isnull=True)


class Alert(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alerts"
    )
    alert_type = models.CharField(max_length=32, choices=AlertType.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.INFO)
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    key = models.CharField(max_length=200)
    # False when the customer had in-app alerts of this type off: stored (so the key holds
    # and the notifications link to it) but never shown; dismissed_at is set as well.
    in_app = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="alerts_alert_user_key_unique"),
        ]
        indexes = [
            # The feed: a user's shown alerts, newest first (unread and type filter on top).
            models.Index(
                fields=["user", "-created_at", "-id"],
                name="alerts_alert_feed_idx",
                condition=Q(deleted_at__isnull=True, in_app=True),
            ),
            models.Index(
                fields=["user", "alert_type", "-created_at"],
                name="alerts_alert_user_type_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_alert_type_display()}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class AlertSubscriptionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class AlertSubscription(models.Model):
    """A customer's choice for one alert type. A missing row means the defaults
    (``alerts.selectors.alert_preferences``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_subscriptions"
    )
    alert_type = models.CharField(max_length=32, choices=AlertType.choices)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)
    # In the user's base currency; only for low_balance and large_transaction. Null: default.
    threshold = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_DECIMAL_PLACES, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AlertSubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["user", "alert_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "alert_type"], name="alerts_subscription_user_type_unique"
            ),
            models.CheckConstraint(
                condition=Q(threshold__isnull=True) | Q(threshold__gte=0),
                name="alerts_subscription_threshold_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.alert_type}"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    alert = models.ForeignKey(
        Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    key = models.CharField(max_length=255)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "channel"], name="alerts_notification_key_channel_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="alerts_notif_status_idx"),
            models.Index(fields=["user", "-created_at"], name="alerts_notif_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient or '(no recipient)'}: {self.subject}"

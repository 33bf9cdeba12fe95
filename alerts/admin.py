"""The staff console for alerts: what was raised and sent, to look into; nothing to edit.

Alerts and preferences are the customer's, so staff read them only. Notifications show
their delivery (status, attempts, last error); failed ones can be sent again with the
"resend" action, which goes through alerts.notifications.notifications_resend (audited).
Without the change permission, Django's change page shows every field read-only.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet

from alerts.models import Alert, AlertSubscription, Notification
from alerts.notifications import notifications_resend
from transactions.admin import ReadOnlyAdminMixin


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "alert_type",
        "severity",
        "title",
        "read_at",
        "dismissed_at",
        "deleted_at",
        "in_app",
    )
    list_select_related = ("user",)
    list_filter = ("alert_type", "severity", "in_app", "created_at")
    search_fields = ("user__email", "key", "title")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(AlertSubscription)
class AlertSubscriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "alert_type", "in_app", "email", "sms", "threshold", "updated_at")
    list_select_related = ("user",)
    list_filter = ("alert_type", "in_app", "email", "sms")
    search_fields = ("user__email",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "user",
        "channel",
        "status",
        "attempts",
        "subject",
        "short_error",
        "sent_at",
    )
    list_select_related = ("user",)
    list_filter = ("status", "channel", "created_at")
    search_fields = ("user__email", "recipient", "key", "subject")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["resend_failed"]

    @admin.display(description="last error")
    def short_error(self, obj: Notification) -> str:
        return obj.last_error if len(obj.last_error) <= 80 else obj.last_error[:79] + "…"

    def has_resend_permission(self, request) -> bool:
        # Sending mail to a customer is a change; auditors and support only look.
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Resend the selected failed notifications", permissions=["resend"])
    def resend_failed(self, request, queryset: QuerySet[Notification]) -> None:
        count = notifications_resend(notifications=queryset, actor=request.user)
        skipped = queryset.count() - count
        if count:
            self.message_user(
                request, f"{count} notification(s) queued to be sent again.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} notification(s) not resent: only failed ones with a recipient are.",
                messages.WARNING,
            )

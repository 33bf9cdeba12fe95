"""The staff console for bills: every write goes through bills.services (audited).

The status is derived, as everywhere: the column on each customer's today, the filter on
today's date in UTC (the admin spans every time zone).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.db.models import QuerySet
from django.utils import timezone

from bills.forms import BillAdminChangeForm, BillAdminCreationForm
from bills.models import Bill, BillStatus
from bills.services import bill_delete, bill_pay
from smartbank.admin import ServiceAdminMixin


class BillStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return BillStatus.choices

    def queryset(self, request, queryset):
        if self.value() not in BillStatus.values:
            return queryset
        return queryset.with_status(timezone.localdate()).filter(status=self.value())


@admin.register(Bill)
class BillAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = BillAdminChangeForm
    add_form = BillAdminCreationForm

    list_display = (
        "biller",
        "customer",
        "amount_due",
        "currency",
        "due_date",
        "status",
        "recurrence",
        "autopay",
    )
    list_select_related = ("user",)
    list_filter = (BillStatusFilter, "recurrence", "autopay", "due_date")
    search_fields = ("biller", "user__email")
    date_hierarchy = "due_date"
    raw_id_fields = ("user", "account", "category")
    actions = ("pay_now",)
    show_full_result_count = False
    READONLY_FIELDS = (
        "user",
        "amount_due",
        "currency",
        "status",
        "anchor_day",
        "paid_transaction",
        "previous",
        "next_occurrence_link",
        "created_at",
        "updated_at",
    )

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: Bill) -> str:
        return obj.user.email

    @admin.display(description="status")
    def status(self, obj: Bill) -> str:
        return BillStatus(obj.status_on(obj.user.today())).label

    @admin.display(description="next occurrence")
    def next_occurrence_link(self, obj: Bill) -> str:
        # The reverse one-to-one raises a subclass of AttributeError when there is none.
        following = getattr(obj, "next_occurrence", None)
        return str(following) if following else "-"

    def get_fields(self, request, obj=None):
        if obj is None:
            return BillAdminCreationForm.Meta.fields
        return (
            "user",
            "biller",
            "amount_due",
            "currency",
            "due_date",
            "status",
            "recurrence",
            "autopay",
            "account",
            "category",
            "notice_days",
            "anchor_day",
            "paid_transaction",
            "previous",
            "next_occurrence_link",
            "created_at",
            "updated_at",
        )

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.READONLY_FIELDS

    def delete_model(self, request, obj: Bill) -> None:
        bill_delete(bill=obj, actor=request.user)

    def delete_queryset(self, request, queryset: QuerySet[Bill]) -> None:
        with db_transaction.atomic():
            for bill in queryset.select_related("user").order_by("pk"):
                bill_delete(bill=bill, actor=request.user)

    @admin.action(description="Pay now from the bill's account", permissions=["change"])
    def pay_now(self, request, queryset: QuerySet[Bill]) -> None:
        """Each bill through bill_pay, in its own database transaction, audited."""
        paid = 0
        for bill in queryset.select_related("account").order_by("due_date", "pk"):
            try:
                bill_pay(bill=bill, actor=request.user)
            except ValidationError as exc:
                self.message_user(
                    request, f"{bill.biller} ({bill.pk}): {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                paid += 1
        if paid:
            self.message_user(request, f"Paid {paid} bill(s).", messages.SUCCESS)

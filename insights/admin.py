"""The staff console for insights: customers' PDF statements, to look into; nothing to edit.

Staff see each statement's status, figures and error (what a customer asks support about:
"my statement failed"), never the PDF itself: the file is the customer's document, and
its contents are the transactions staff can already read where their role allows. The
PDF column is never loaded to show a page.
"""

from django.contrib import admin
from django.template.defaultfilters import filesizeformat

from insights.models import Export
from transactions.admin import ReadOnlyAdminMixin


@admin.register(Export)
class ExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "customer",
        "account",
        "date_from",
        "date_to",
        "status",
        "transaction_count",
        "size",
        "created_at",
        "finished_at",
    )
    list_select_related = ("user", "account")
    list_filter = ("status", "created_at")
    search_fields = ("user__email", "account__name", "filename")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "customer",
        "account",
        "date_from",
        "date_to",
        "status",
        "error",
        "currency",
        "opening_balance",
        "money_in",
        "money_out",
        "closing_balance",
        "transaction_count",
        "filename",
        "size",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: Export) -> str:
        return obj.user.email

    @admin.display(description="PDF size", ordering="pdf_size")
    def size(self, obj: Export) -> str:
        return filesizeformat(obj.pdf_size) if obj.pdf_size else "—"

"""The staff console for transactions and categories.

Every write goes through transactions.services: the ledger moves balances and writes the
audit log. Amount, account and kind are read-only once a transaction exists.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction as db_transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header

from accounts.models import BankAccount
from smartbank.admin import ServiceAdminMixin
from transactions.forms import (
    CategoryAdminChangeForm,
    CategoryAdminCreationForm,
    TransactionAdminChangeForm,
    TransactionAdminCreationForm,
)
from transactions.import_profile_services import import_profile_delete
from transactions.importing.detect import FORMATS as IMPORT_FORMATS
from transactions.imports import import_undo
from transactions.models import (
    CategorizationRule,
    Category,
    CategoryChange,
    ImportBatch,
    ImportProfile,
    Transaction,
)
from transactions.services import category_delete, transaction_delete


class DefaultCategoryFilter(admin.SimpleListFilter):
    """The shared categories by name, and customers' own ones together: a bounded list."""

    title = "category"
    parameter_name = "category"
    OWN = "own"

    def lookups(self, request, model_admin):
        defaults = Category.objects.filter(user__isnull=True).order_by("name")
        return [
            *((category.slug, category.name) for category in defaults),
            (self.OWN, "Customers' own"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.OWN:
            return queryset.filter(category__user__isnull=False)
        if value:
            return queryset.filter(category__slug=value, category__user__isnull=True)
        return queryset


class CurrencyFilter(admin.SimpleListFilter):
    """Currencies of the accounts, not a DISTINCT over every transaction."""

    title = "currency"
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        currencies = BankAccount.objects.order_by("currency").values_list("currency", flat=True)
        return [(code, code) for code in currencies.distinct()]

    def queryset(self, request, queryset):
        return queryset.filter(currency=self.value()) if self.value() else queryset


@admin.register(Transaction)
class TransactionAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = TransactionAdminChangeForm
    add_form = TransactionAdminCreationForm

    list_display = (
        "txn_date",
        "account",
        "customer",
        "amount",
        "currency",
        "kind",
        "category",
        "merchant",
    )
    list_select_related = ("account", "user", "category")
    list_filter = ("kind", DefaultCategoryFilter, CurrencyFilter, "txn_date")
    search_fields = ("description", "merchant", "user__email")
    date_hierarchy = "txn_date"
    raw_id_fields = ("account",)
    # The ledger grows without bound; one COUNT per page is enough.
    show_full_result_count = False
    add_fieldsets = (
        (
            None,
            {
                "fields": ("account", "amount", "txn_date", "posted_date"),
                "description": (
                    "Recorded through the ledger: the account's balance moves by the amount, "
                    "and an expense that would overdraw the account is refused. "
                    "Transfers are made through the API."
                ),
            },
        ),
        ("Details", {"fields": ("description", "merchant", "category", "notes")}),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "user",
                    "account",
                    "amount",
                    "currency",
                    "kind",
                    "txn_date",
                    "posted_date",
                )
            },
        ),
        ("Details", {"fields": ("description", "merchant", "category", "notes")}),
        (
            "Record",
            {
                "fields": (
                    "transfer_id",
                    "counterpart",
                    "external_id",
                    "fingerprint",
                    "created_at",
                    "updated_at",
                ),
                "classes": ("collapse",),
            },
        ),
    )
    MONEY_READONLY_FIELDS = (
        "user",
        "account",
        "amount",
        "currency",
        "kind",
        "transfer_id",
        "counterpart",
        "external_id",
        "fingerprint",
        "created_at",
        "updated_at",
    )

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: Transaction) -> str:
        return obj.user.email

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if obj.kind == Transaction.Kind.TRANSFER:
            # Both legs of a transfer keep the transfers category.
            return (*self.MONEY_READONLY_FIELDS, "category")
        return self.MONEY_READONLY_FIELDS

    def get_deleted_objects(self, objs, request):
        # Deleting one leg of a transfer deletes the other leg too; list both.
        objs = list(objs)
        transfer_ids = {txn.transfer_id for txn in objs if txn.transfer_id}
        other_legs = Transaction.objects.filter(transfer_id__in=transfer_ids).exclude(
            pk__in=[txn.pk for txn in objs]
        )
        return super().get_deleted_objects([*objs, *other_legs], request)

    def delete_model(self, request, obj: Transaction) -> None:
        transaction_delete(transaction=obj, actor=request.user)

    def delete_queryset(self, request, queryset: QuerySet[Transaction]) -> None:
        with db_transaction.atomic():
            for pk in list(queryset.order_by("pk").values_list("pk", flat=True)):
                # A transfer's other leg may have gone already, with the first one.
                txn = Transaction.objects.filter(pk=pk).first()
                if txn is not None:
                    transaction_delete(transaction=txn, actor=request.user)


class CategoryOwnerFilter(admin.SimpleListFilter):
    title = "owner"
    parameter_name = "owner"

    def lookups(self, request, model_admin):
        return [("default", "Default (shared)"), ("own", "Customers' own")]

    def queryset(self, request, queryset):
        if self.value() == "default":
            return queryset.filter(user__isnull=True)
        if self.value() == "own":
            return queryset.filter(user__isnull=False)
        return queryset


@admin.register(Category)
class CategoryAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Default categories come from a data migration and are read-only here."""

    form = CategoryAdminChangeForm
    add_form = CategoryAdminCreationForm

    list_display = ("name", "slug", "owner", "created_at")
    list_select_related = ("user",)
    list_filter = (CategoryOwnerFilter,)
    search_fields = ("name", "slug", "user__email")
    autocomplete_fields = ("user",)
    ordering = ("user_id", "name")

    @admin.display(description="owner", ordering="user__email")
    def owner(self, obj: Category) -> str:
        return obj.user.email if obj.user_id else "Default (shared)"

    def get_fields(self, request, obj=None):
        return ("user", "name", "slug") if obj is None else ("owner", "slug", "name", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("owner", "slug", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_default:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_default:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj: Category) -> None:
        # Django's delete page refuses while transactions still use the category (they are
        # protected), so category_delete only ever removes an unused one here.
        category_delete(category=obj, actor=request.user)

    def delete_queryset(self, request, queryset: QuerySet[Category]) -> None:
        for category in queryset.filter(user__isnull=False):
            self.delete_model(request, category)


class ReadOnlyAdminMixin:
    """Shown to staff, changed only by the customer (rules) or never (a log)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CategorizationRule)
class CategorizationRuleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Customers' categorisation rules, to read when helping them; they edit them in the app."""

    list_display = (
        "name",
        "customer",
        "priority",
        "is_active",
        "match",
        "set_category",
        "set_merchant",
        "stop_processing",
        "updated_at",
    )
    list_select_related = ("user", "set_category")
    list_filter = ("is_active", "match")
    search_fields = ("name", "user__email")
    ordering = ("user_id", "priority", "id")
    fields = (
        "customer",
        "name",
        "priority",
        "is_active",
        "match",
        "conditions",
        "set_category",
        "set_merchant",
        "stop_processing",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: CategorizationRule) -> str:
        return obj.user.email


@admin.register(CategoryChange)
class CategoryChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every change of a transaction's category, to read. Nobody edits the history."""

    list_display = (
        "created_at",
        "transaction_id",
        "customer",
        "old_category_slug",
        "new_category_slug",
        "source",
        "rule",
        "changed_by",
    )
    list_select_related = ("user", "rule", "changed_by")
    list_filter = ("source",)
    search_fields = ("user__email", "old_category_slug", "new_category_slug")
    date_hierarchy = "created_at"
    # The history grows with every categorisation; one COUNT per page is enough.
    show_full_result_count = False
    fields = (
        "created_at",
        "transaction",
        "customer",
        "old_category_slug",
        "new_category_slug",
        "source",
        "rule",
        "changed_by",
    )
    readonly_fields = fields

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: CategoryChange) -> str:
        return obj.user.email

    def has_delete_permission(self, request, obj=None) -> bool:
        # Never deleted from its own pages; its rows go with their transaction (CASCADE), so
        # staff who may delete a transaction may delete its history with it, and the
        # admin's delete confirmation (which asks this for every related row) allows it.
        match = getattr(request, "resolver_match", None)
        if match is not None and (match.url_name or "").startswith("transactions_categorychange_"):
            return False
        return admin.site._registry[Transaction].has_delete_permission(request)


class ImportFormatFilter(admin.SimpleListFilter):
    """The formats the importer knows, not a DISTINCT over every batch."""

    title = "format"
    parameter_name = "format"

    def lookups(self, request, model_admin):
        return [(name, name.upper()) for name in IMPORT_FORMATS]

    def queryset(self, request, queryset):
        return queryset.filter(format=self.value()) if self.value() else queryset


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Customers' statement imports, to read when helping them; staff may undo one.

    The kept file is never loaded to show a page (it may be megabytes); it is read only by
    the download view.
    """

    # At most this many problem rows on a batch's page; the API lists them all.
    PROBLEMS_SHOWN = 200

    list_display = (
        "id",
        "customer",
        "account",
        "filename",
        "format",
        "status",
        "progress",
        "counts",
        "created_at",
    )
    list_select_related = ("user", "account")
    list_filter = ("status", ImportFormatFilter)
    search_fields = ("filename", "user__email")
    date_hierarchy = "created_at"
    actions = ("undo_imports",)
    fields = (
        "customer",
        "account",
        "filename",
        "format",
        "file_size",
        "file_sha256",
        "download",
        "status",
        "progress",
        "counts",
        "error",
        "report",
        "mapping",
        "options",
        "created_at",
        "started_at",
        "finished_at",
        "undone_at",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("file_data")

    def get_urls(self):
        opts = self.model._meta
        download = path(
            "<path:object_id>/download/",
            self.admin_site.admin_view(self.download_view),
            name=f"{opts.app_label}_{opts.model_name}_download",
        )
        return [download, *super().get_urls()]

    def download_view(self, request, object_id):
        """The statement file as the customer uploaded it, for staff who may view imports."""
        batch = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        if batch is None:
            raise Http404("No such import.")
        data = ImportBatch.objects.filter(pk=batch.pk).values_list("file_data", flat=True).get()
        response = HttpResponse(bytes(data), content_type="application/octet-stream")
        filename = batch.filename or f"import-{batch.pk}"
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: ImportBatch) -> str:
        return obj.user.email

    @admin.display(description="rows")
    def counts(self, obj: ImportBatch) -> str:
        return (
            f"{obj.rows_read} read, {obj.rows_created} created, {obj.rows_duplicate} duplicate, "
            f"{obj.rows_matched} matched, {obj.rows_skipped} skipped, "
            f"{obj.rows_rejected} rejected"
        )

    @admin.display(description="file")
    def download(self, obj: ImportBatch) -> str:
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_download", args=[obj.pk])
        return format_html(
            '<a href="{}">Download {}</a> ({} bytes)', url, obj.filename or "file", obj.file_size
        )

    @admin.display(description="problems and reconciliation")
    def report(self, obj: ImportBatch) -> str:
        parts = []
        if obj.reconciliation:
            rows = format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        entry.get("ref") or entry.get("account"),
                        entry.get("date"),
                        entry.get("statement_balance"),
                        entry.get("account_balance"),
                        entry.get("difference"),
                        "agrees" if entry.get("agrees") else "differs",
                    )
                    for entry in obj.reconciliation
                ),
            )
            parts.append(
                format_html(
                    "<p><strong>Closing balances</strong></p><table><thead><tr><th>account</th>"
                    "<th>date</th><th>statement</th><th>SmartBank</th><th>difference</th>"
                    "<th></th></tr></thead><tbody>{}</tbody></table>",
                    rows,
                )
            )
        if obj.transfer_candidates:
            parts.append(
                format_html(
                    "<p><strong>Offered as transfers</strong> (outgoing → incoming "
                    "transaction ids): {}</p>",
                    ", ".join(
                        f"{pair.get('outgoing')} → {pair.get('incoming')}"
                        for pair in obj.transfer_candidates
                    ),
                )
            )
        if obj.problems:
            shown = obj.problems[: self.PROBLEMS_SHOWN]
            rows = format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (problem.get("line"), problem.get("outcome"), problem.get("reason"))
                    for problem in shown
                ),
            )
            more = len(obj.problems) - len(shown)
            parts.append(
                format_html(
                    "<p><strong>Rows not imported</strong></p><table><thead><tr><th>line</th>"
                    "<th>outcome</th><th>reason</th></tr></thead><tbody>{}</tbody></table>{}",
                    rows,
                    format_html("<p>… and {} more (the API lists them all).</p>", more)
                    if more > 0
                    else "",
                )
            )
        if not parts:
            return "No problems; the statement states no closing balance."
        return format_html_join("", "{}", ((part,) for part in parts))

    def has_undo_permission(self, request) -> bool:
        # The model permission, not has_change_permission: nothing on the page is editable.
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")

    @admin.action(description="Undo import", permissions=["undo"])
    def undo_imports(self, request, queryset: QuerySet[ImportBatch]) -> None:
        """Each batch on its own: one that cannot be undone does not hold back the others."""
        undone = 0
        for batch in queryset.order_by("pk"):
            try:
                import_undo(batch=batch, actor=request.user)
            except ValidationError as exc:
                self.message_user(
                    request, f"Import #{batch.pk}: {' '.join(exc.messages)}", messages.ERROR
                )
            else:
                undone += 1
        if undone:
            self.message_user(
                request, f"{undone} import(s) undone: their rows are gone, balances restored."
            )


@admin.register(ImportProfile)
class ImportProfileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Customers' saved CSV mappings, to read; staff may delete one that reads files wrongly."""

    list_display = ("id", "customer", "account", "name", "format", "updated_at")
    list_select_related = ("user", "account")
    list_filter = ("format",)
    search_fields = ("name", "user__email")
    ordering = ("user_id", "account_id")
    fields = ("customer", "account", "name", "format", "mapping", "created_at", "updated_at")
    readonly_fields = fields

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: ImportProfile) -> str:
        return obj.user.email

    def has_delete_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def delete_model(self, request, obj: ImportProfile) -> None:
        import_profile_delete(profile=obj, actor=request.user)

    def delete_queryset(self, request, queryset: QuerySet[ImportProfile]) -> None:
        with db_transaction.atomic():
            for profile in queryset.select_related("user"):
                import_profile_delete(profile=profile, actor=request.user)

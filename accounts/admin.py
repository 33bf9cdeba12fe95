"""The staff console for users, bank accounts, exchange rates and the audit trail.

Users and bank accounts change only through accounts.services (which write the audit log
and keep the ledger); money fields are read-only. The audit log itself is read-only for
everyone, superusers included.
"""

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction as db_transaction
from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join

from accounts.forms import (
    BankAccountAdminChangeForm,
    BankAccountAdminCreationForm,
    ExchangeRateAdminForm,
    UserAdminChangeForm,
    UserAdminCreationForm,
)
from accounts.models import AuditLog, BankAccount, ExchangeRate, User
from accounts.services import (
    account_delete,
    account_update,
    audit_if_staff,
    audit_record,
    user_set_kyc_status,
    user_set_role,
)
from smartbank.admin import ServiceAdminMixin

# --- Users ------------------------------------------------------------------------------


def _role_action(role: User.Role):
    def set_role(modeladmin: "UserAdmin", request, queryset: QuerySet[User]) -> None:
        modeladmin.set_role(request, queryset, role)

    set_role.__name__ = f"make_{role.value}"
    return admin.action(description=f"Set role: {role.label}", permissions=["change"])(set_role)


@admin.register(User)
class UserAdmin(ServiceAdminMixin, DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm

    list_display = ("email", "full_name", "role", "kyc_status", "is_active", "date_joined")
    list_filter = ("role", "kyc_status", "is_active", "is_staff")
    search_fields = ("email", "full_name", "phone")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "phone", "base_currency", "time_zone", "locale")}),
        (
            "Role and KYC",
            {
                "fields": ("role", "kyc_status", "is_active", "is_staff", "is_superuser", "groups"),
                "description": (
                    "The role decides admin access and the permission group; "
                    "superusers are made with manage.py createsuperuser."
                ),
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "phone", "role", "password1", "password2"),
            },
        ),
    )
    # Staff status and groups follow the role (user_set_role); nothing else may grant them.
    readonly_fields = ("is_staff", "is_superuser", "groups", "last_login", "date_joined")
    actions = (
        "mark_kyc_verified",
        "mark_kyc_rejected",
        _role_action(User.Role.CUSTOMER),
        _role_action(User.Role.SUPPORT),
        _role_action(User.Role.AUDITOR),
        _role_action(User.Role.ADMIN),
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Users own money records; they are deactivated, never deleted.
        return False

    @admin.action(description="Mark KYC verified", permissions=["change"])
    def mark_kyc_verified(self, request, queryset: QuerySet[User]) -> None:
        self.set_kyc_status(request, queryset, User.KycStatus.VERIFIED)

    @admin.action(description="Mark KYC rejected", permissions=["change"])
    def mark_kyc_rejected(self, request, queryset: QuerySet[User]) -> None:
        self.set_kyc_status(request, queryset, User.KycStatus.REJECTED)

    def set_kyc_status(self, request, queryset: QuerySet[User], status: User.KycStatus) -> None:
        changed = 0
        with db_transaction.atomic():
            for user in queryset.order_by("pk"):
                if user.kyc_status != status:
                    user_set_kyc_status(user=user, kyc_status=status, actor=request.user)
                    changed += 1
        self.message_user(
            request, f"KYC status set to {status.label.lower()} for {changed} user(s)."
        )

    def set_role(self, request, queryset: QuerySet[User], role: User.Role) -> None:
        changed = 0
        with db_transaction.atomic():
            for user in queryset.order_by("pk"):
                if user.pk == request.user.pk:
                    self.message_user(request, "Your own role was left as it is.", messages.WARNING)
                    continue
                if user.role != role:
                    user_set_role(user=user, role=role, actor=request.user)
                    changed += 1
        self.message_user(request, f"Role set to {role.label.lower()} for {changed} user(s).")

    def user_change_password(self, request, id, form_url=""):
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        request.smartbank_password_change = True
        with db_transaction.atomic():
            return super().user_change_password(request, id, form_url)

    def log_change(self, request, obj, message):
        # Django's password page saves through its own form; audit it here, where that
        # page reports a successful change.
        if getattr(request, "smartbank_password_change", False):
            audit_if_staff(
                actor=request.user,
                owner=obj,
                action="user.set_password",
                target=obj,
                changes={"password": ("", "set" if obj.has_usable_password() else "disabled")},
            )
        return super().log_change(request, obj, message)


# --- Bank accounts ----------------------------------------------------------------------


@admin.register(BankAccount)
class BankAccountAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = BankAccountAdminChangeForm
    add_form = BankAccountAdminCreationForm

    list_display = (
        "name",
        "customer",
        "account_type",
        "masked_number",
        "currency",
        "balance",
        "is_archived",
    )
    list_select_related = ("user",)
    list_filter = ("account_type", "currency", "is_archived")
    search_fields = ("name", "bank_name", "number_last4", "user__email", "user__full_name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user",)
    add_fieldsets = (
        (
            None,
            {"fields": ("user", "name", "bank_name", "account_type", "account_number", "currency")},
        ),
        ("Money", {"fields": ("opening_balance", "opening_date", "credit_limit")}),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "user",
                    "name",
                    "bank_name",
                    "account_type",
                    "masked_number",
                    "account_number",
                    "currency",
                    "is_archived",
                )
            },
        ),
        (
            "Money",
            {
                "fields": ("opening_balance", "opening_date", "balance", "credit_limit"),
                "description": (
                    "The balance is kept by the ledger: opening balance plus every transaction. "
                    "Change it by recording transactions."
                ),
            },
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    actions = ("archive_accounts", "unarchive_accounts")

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: BankAccount) -> str:
        return obj.user.email

    @admin.display(description="number")
    def masked_number(self, obj: BankAccount) -> str:
        return obj.masked_account

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "masked_number", "opening_balance", "balance", "created_at", "updated_at")

    def get_deleted_objects(self, objs, request):
        # Transactions are never deleted with their account: such an account is archived.
        # Say so in one line instead of listing every protected transaction.
        objs = list(objs)
        used = list(
            BankAccount.objects.filter(
                pk__in=[account.pk for account in objs], transactions__isnull=False
            )
            .select_related("user")
            .distinct()
        )
        if used:
            protected = [
                f"{account} ({account.user.email}) has transactions: archive it instead."
                for account in used
            ]
            return [], {}, set(), protected
        return super().get_deleted_objects(objs, request)

    def delete_model(self, request, obj: BankAccount) -> None:
        if not account_delete(account=obj, actor=request.user):
            self.message_user(
                request, f"{obj} has transactions, so it was archived instead.", messages.WARNING
            )

    def delete_queryset(self, request, queryset: QuerySet[BankAccount]) -> None:
        for account in queryset.order_by("pk"):
            self.delete_model(request, account)

    @admin.action(description="Archive selected accounts", permissions=["change"])
    def archive_accounts(self, request, queryset: QuerySet[BankAccount]) -> None:
        self._set_archived(request, queryset, archived=True)

    @admin.action(description="Unarchive selected accounts", permissions=["change"])
    def unarchive_accounts(self, request, queryset: QuerySet[BankAccount]) -> None:
        self._set_archived(request, queryset, archived=False)

    def _set_archived(self, request, queryset: QuerySet[BankAccount], *, archived: bool) -> None:
        changed = 0
        with db_transaction.atomic():
            for account in queryset.filter(is_archived=not archived).order_by("pk"):
                account_update(account=account, actor=request.user, is_archived=archived)
                changed += 1
        verb = "archived" if archived else "unarchived"
        self.message_user(request, f"{changed} account(s) {verb}.")


# --- Exchange rates ---------------------------------------------------------------------


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """ECB rates come from load_ecb_rates; a rate saved here is the staff's and says so."""

    form = ExchangeRateAdminForm
    list_display = ("day", "base", "quote", "rate", "source")
    list_filter = ("source", "base", "quote")
    search_fields = ("base", "quote")
    date_hierarchy = "day"
    fields = ("day", "base", "quote", "rate", "source", "created_at")
    readonly_fields = ("source", "created_at")

    def save_model(self, request, obj: ExchangeRate, form, change) -> None:
        changes = {
            name: (form.initial.get(name) if change else None, form.cleaned_data[name])
            for name in form.changed_data
        }
        if obj.source != ExchangeRate.Source.MANUAL:
            changes["source"] = (obj.source if change else None, ExchangeRate.Source.MANUAL)
        # A staff-entered rate is never overwritten by the next ECB import.
        obj.source = ExchangeRate.Source.MANUAL
        obj.save()
        action = "exchange_rate.update" if change else "exchange_rate.create"
        audit_record(actor=request.user, action=action, target=obj, changes=changes)

    def delete_model(self, request, obj: ExchangeRate) -> None:
        audit_record(
            actor=request.user,
            action="exchange_rate.delete",
            target=obj,
            changes={"rate": (obj.rate, None), "day": (obj.day, None)},
        )
        obj.delete()

    def delete_queryset(self, request, queryset: QuerySet[ExchangeRate]) -> None:
        for rate in queryset:
            self.delete_model(request, rate)


# --- Audit log --------------------------------------------------------------------------


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """The audit trail, to read. Nobody adds, changes or deletes an entry here."""

    list_display = ("created_at", "actor_email", "action", "target_type", "target_id", "ip_address")
    list_filter = ("action", "target_type")
    search_fields = (
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "ip_address",
        "request_id",
    )
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = (
        "created_at",
        "actor",
        "actor_email",
        "action",
        "target_type",
        "target_id",
        "target",
        "changes_table",
        "ip_address",
        "request_id",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="target")
    def target(self, obj: AuditLog) -> str:
        try:
            model = apps.get_model(obj.target_type)
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[obj.target_id],
            )
        except (LookupError, ValueError, NoReverseMatch):
            return f"{obj.target_type} #{obj.target_id}"
        return format_html('<a href="{}">{} #{}</a>', url, obj.target_type, obj.target_id)

    @admin.display(description="what changed")
    def changes_table(self, obj: AuditLog) -> str:
        if not obj.changes:
            return "-"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>&rarr;</td><td>{}</td></tr>",
            (
                (field, _shown(values[0]), _shown(values[1]))
                if isinstance(values, list | tuple) and len(values) == 2
                else (field, "", _shown(values))
                for field, values in obj.changes.items()
            ),
        )
        return format_html("<table>{}</table>", rows)


def _shown(value) -> str:
    return "-" if value is None else str(value)

"""The staff console for rewards.

Programmes show their balance (the sum of their entries, annotated in the list's one
query) and their latest entries; points change only through the "Adjust points" page
(linked from the programme, or the list's action), which goes through
rewards.services.points_adjust and is audited. Entries
are read-only for everyone. Earning rules and redemption rates are edited by staff, and
each change is written to the audit log.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.services import audit_record
from rewards import selectors
from rewards.forms import EarningRuleAdminForm, PointsAdjustForm, RedemptionRateAdminForm
from rewards.models import EarningRule, PointsEntry, RedemptionRate, RewardProgramme
from rewards.services import can_adjust_points

# A programme's page shows this many of its newest entries; the link beside them lists all.
ENTRIES_SHOWN = 50


class PointsEntryInline(admin.TabularInline):
    model = PointsEntry
    fields = ("created_at", "points", "source", "reason", "transaction", "created_by")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = f"latest points entries (up to {ENTRIES_SHOWN})"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("transaction", "created_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RewardProgramme)
class RewardProgrammeAdmin(admin.ModelAdmin):
    list_display = ("customer", "name", "balance", "created_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "user__full_name", "name")
    date_hierarchy = "created_at"
    fieldsets = (
        (None, {"fields": ("customer", "name", "created_at")}),
        (
            "Points",
            {
                "fields": ("balance", "links"),
                "description": "The balance is the sum of the entries below; it changes only "
                "through entries: earnings, redemptions, and adjustments (audited).",
            },
        ),
    )
    readonly_fields = ("customer", "balance", "links", "created_at")
    inlines = (PointsEntryInline,)
    actions = ("adjust_points",)

    def get_queryset(self, request):
        return super().get_queryset(request).with_balance()

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, PointsEntryInline) and obj is not None and obj.pk is not None:
            # A programme's history grows with every purchase: show its newest rows only.
            newest = list(
                selectors.programme_entries(programme=obj).values_list("pk", flat=True)[
                    :ENTRIES_SHOWN
                ]
            )
            kwargs["queryset"] = kwargs["queryset"].filter(pk__in=newest)
        return kwargs

    def get_urls(self):
        opts = self.model._meta
        adjust = path(
            "<path:object_id>/adjust/",
            self.admin_site.admin_view(self.adjust_view),
            name=f"{opts.app_label}_{opts.model_name}_adjust",
        )
        return [adjust, *super().get_urls()]

    def has_adjust_permission(self, request, obj=None) -> bool:
        return self.has_change_permission(request, obj) and can_adjust_points(request.user)

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: RewardProgramme) -> str:
        return obj.user.email

    @admin.display(description="balance (points)", ordering="balance")
    def balance(self, obj: RewardProgramme) -> int:
        return obj.balance

    @admin.display(description="")
    def links(self, obj: RewardProgramme) -> str:
        entries = reverse("admin:rewards_pointsentry_changelist")
        adjust = reverse("admin:rewards_rewardprogramme_adjust", args=[obj.pk])
        return format_html(
            '<a href="{}?programme={}">All points entries</a> · <a href="{}">Adjust points</a>',
            entries,
            obj.pk,
            adjust,
        )

    @admin.action(description="Adjust points of the selected programme", permissions=["adjust"])
    def adjust_points(self, request, queryset: QuerySet[RewardProgramme]):
        programmes = list(queryset[:2])
        if len(programmes) != 1:
            self.message_user(
                request, "Choose one programme to adjust at a time.", messages.WARNING
            )
            return None
        return HttpResponseRedirect(
            reverse("admin:rewards_rewardprogramme_adjust", args=[programmes[0].pk])
        )

    def adjust_view(self, request, object_id):
        """Add or take away points with a reason, through points_adjust (audited)."""
        programme = self.get_object(request, unquote(object_id))
        if programme is None:
            raise Http404("No such programme.")
        if not self.has_adjust_permission(request, programme):
            raise PermissionDenied
        form = PointsAdjustForm(
            request.POST if request.method == "POST" else None,
            programme=programme,
            actor=request.user,
        )
        if form.is_valid():
            entry = form.saved_object
            self.message_user(
                request,
                f"{entry.points:+d} points for {programme.user.email}: {entry.reason}",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:rewards_rewardprogramme_change", args=[programme.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Adjust points of {programme.user.email}",
            "subtitle": None,
            "opts": self.model._meta,
            "original": programme,
            "form": form,
            # get_object() reads through get_queryset(), which annotates the balance.
            "balance": programme.balance,
            "has_view_permission": self.has_view_permission(request, programme),
        }
        return TemplateResponse(
            request, "admin/rewards/rewardprogramme/adjust_points.html", context
        )

    def has_add_permission(self, request) -> bool:
        # Sign-up makes each customer's programme.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # The points history is kept; a programme is never deleted here.
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(admin.ModelAdmin):
    """The points ledger, to read. Adjust points on the programme's page."""

    list_display = ("created_at", "customer", "points", "source", "reason", "transaction_id")
    list_select_related = ("programme__user",)
    list_filter = ("source",)
    search_fields = ("programme__user__email", "reason", "cause")
    date_hierarchy = "created_at"
    # The ledger grows without bound; one COUNT per page is enough.
    show_full_result_count = False
    fields = (
        "created_at",
        "programme",
        "points",
        "source",
        "reason",
        "cause",
        "transaction",
        "created_by",
    )
    readonly_fields = fields

    @admin.display(description="customer", ordering="programme__user__email")
    def customer(self, obj: PointsEntry) -> str:
        return obj.programme.user.email

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditedAdminMixin:
    """Staff edits of a rewards setting are written to the audit log, with what changed."""

    audit_name = ""

    def _shown(self, value):
        # Many-to-many values (a rule's categories) as their sorted ids.
        if isinstance(value, QuerySet | list | tuple):
            return sorted(getattr(item, "pk", item) for item in value)
        return value

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        changes = {
            name: (
                self._shown(form.initial.get(name)) if change else None,
                self._shown(form.cleaned_data.get(name)),
            )
            for name in form.changed_data
        }
        action = f"{self.audit_name}.{'update' if change else 'create'}"
        audit_record(actor=request.user, action=action, target=obj, changes=changes)

    def delete_model(self, request, obj) -> None:
        audit_record(
            actor=request.user,
            action=f"{self.audit_name}.delete",
            target=obj,
            changes={"name": (str(obj), None)},
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(EarningRule)
class EarningRuleAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """How customers earn. Switching a rule off (active) keeps the points already earned."""

    audit_name = "earning_rule"
    form = EarningRuleAdminForm
    list_display = ("name", "kind", "points", "active", "starts_on", "updated_at")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    filter_horizontal = ("categories",)
    readonly_fields = ("created_at", "updated_at")
    fields = ("name", "kind", "points", "categories", "active", "starts_on", *readonly_fields)


@admin.register(RedemptionRate)
class RedemptionRateAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """What points are worth as a statement credit, per account currency."""

    audit_name = "redemption_rate"
    form = RedemptionRateAdminForm
    list_display = ("currency", "points_per_unit", "minimum_points", "updated_at")
    search_fields = ("currency",)
    readonly_fields = ("created_at", "updated_at")
    fields = ("currency", "points_per_unit", "minimum_points", *readonly_fields)

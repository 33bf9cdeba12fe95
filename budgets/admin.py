"""The staff console for budgets: every write goes through budgets.services (audited)."""

from django.contrib import admin
from django.db.models import QuerySet

from budgets.forms import BudgetAdminChangeForm, BudgetAdminCreationForm
from budgets.models import Budget
from budgets.services import budget_delete
from smartbank.admin import ServiceAdminMixin
from transactions.admin import DefaultCategoryFilter


@admin.register(Budget)
class BudgetAdmin(ServiceAdminMixin, admin.ModelAdmin):
    form = BudgetAdminChangeForm
    add_form = BudgetAdminCreationForm

    list_display = ("month", "customer", "category", "amount", "currency", "updated_at")
    list_select_related = ("user", "category")
    list_filter = (DefaultCategoryFilter, "currency")
    search_fields = ("user__email", "category__name", "category__slug")
    date_hierarchy = "month"
    autocomplete_fields = ("user",)
    ordering = ("-month", "user_id", "category__name")

    @admin.display(description="customer", ordering="user__email")
    def customer(self, obj: Budget) -> str:
        return obj.user.email

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "category", "month", "amount")
        return ("customer", "category", "month", "amount", "currency", "created_at", "updated_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("customer", "currency", "created_at", "updated_at")

    def delete_model(self, request, obj: Budget) -> None:
        budget_delete(budget=obj, actor=request.user)

    def delete_queryset(self, request, queryset: QuerySet[Budget]) -> None:
        for budget in queryset.select_related("user", "category"):
            self.delete_model(request, budget)

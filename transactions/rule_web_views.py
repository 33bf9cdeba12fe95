"""The categorisation rules pages: list, add, edit, preview, apply, delete.

Thin over transactions.rule_services, the same services as /api/v1/categories/rules/:
every rule is checked there and its errors come back beside the field or condition row.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from transactions.models import CategorizationRule, Category
from transactions.rule_services import (
    PREVIEW_LIMIT,
    RuleRunResult,
    rule_apply,
    rule_build,
    rule_create,
    rule_delete,
    rule_preview,
    rule_update,
)
from transactions.rule_web_forms import (
    FIELD_LABELS,
    OPERATOR_LABELS,
    ConditionFormSet,
    RuleForm,
    account_choices,
    condition_initial,
    put_service_errors,
)

CONDITIONS_PREFIX = "conditions"


def _own_rule(request, pk: int) -> CategorizationRule:
    return get_object_or_404(
        CategorizationRule.objects.for_user(request.user).select_related("set_category"), pk=pk
    )


def describe_conditions(rule: CategorizationRule, account_names: dict[int, str]) -> list[str]:
    """Each condition as a person reads it: 'Description contains "coffee"'."""
    described = []
    for condition in rule.conditions:
        value = condition["value"]
        if condition["field"] == "account":
            shown = account_names.get(value, "an account")
        else:
            shown = f"“{value}”"
        described.append(
            f"{FIELD_LABELS[condition['field']]} {OPERATOR_LABELS[condition['operator']]} {shown}"
        )
    return described


def _preview_rows(result: RuleRunResult) -> list[dict]:
    """The planned changes with their categories' names (one query for all of them)."""
    ids = {c.old_category_id for c in result.changes} | {c.new_category_id for c in result.changes}
    ids.discard(None)
    names = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return [
        {
            "change": change,
            "old_category": names.get(change.old_category_id, "Uncategorised"),
            "new_category": names.get(change.new_category_id) if change.new_category_id else None,
        }
        for change in result.changes
    ]


def _preview_context(result: RuleRunResult) -> dict:
    return {
        "result": result,
        "rows": _preview_rows(result),
        "limited": result.changed > len(result.changes),
        "limit": PREVIEW_LIMIT,
    }


class RuleListView(LoginRequiredMixin, View):
    def get(self, request):
        rules = list(
            CategorizationRule.objects.for_user(request.user)
            .select_related("set_category")
            .order_by("priority", "id")
        )
        names = dict(account_choices(request.user)) if rules else {}
        items = [{"rule": rule, "conditions": describe_conditions(rule, names)} for rule in rules]
        return render(request, "transactions/rules.html", {"items": items})


class RuleFormView(LoginRequiredMixin, View):
    """Add (no pk) or edit a rule. "Preview" shows what the rule as written would change,
    without saving; "Save" saves it and shows its preview with the button to apply it."""

    template_name = "transactions/rule_form.html"

    def get(self, request, pk: int | None = None):
        rule = _own_rule(request, pk) if pk is not None else None
        form = RuleForm(initial=RuleForm.initial_for(rule) if rule else None, user=request.user)
        conditions = ConditionFormSet(
            initial=condition_initial(rule) if rule else None,
            prefix=CONDITIONS_PREFIX,
            account_choices=account_choices(request.user),
        )
        return self._render(rule, form, conditions)

    def post(self, request, pk: int | None = None):
        rule = _own_rule(request, pk) if pk is not None else None
        form = RuleForm(request.POST, user=request.user)
        conditions = ConditionFormSet(
            request.POST, prefix=CONDITIONS_PREFIX, account_choices=account_choices(request.user)
        )
        if not (form.is_valid() and conditions.is_valid()):
            return self._render(rule, form, conditions, status=400)
        values = {**form.service_values(), "conditions": conditions.conditions()}
        try:
            if request.POST.get("action") == "preview":
                built = rule_build(user=request.user, **values)
                preview = _preview_context(rule_preview(rule=built))
                return self._render(rule, form, conditions, preview=preview)
            if rule is None:
                rule = rule_create(user=request.user, actor=request.user, **values)
                messages.success(request, f"The rule “{rule.name}” is saved.")
            else:
                rule = rule_update(rule=rule, actor=request.user, **values)
                messages.success(request, f"The rule “{rule.name}” is updated.")
        except ValidationError as exc:
            put_service_errors(exc, form=form, conditions=conditions)
            return self._render(rule, form, conditions, status=400)
        return redirect("transactions-web:rule-preview", pk=rule.pk)

    def _render(self, rule, form, conditions, *, preview=None, status=200):
        context = {"rule": rule, "form": form, "conditions": conditions, "preview": preview}
        return render(self.request, self.template_name, context, status=status)


class RulePreviewView(LoginRequiredMixin, View):
    """Which of the customer's transactions the saved rule would change, and the apply button."""

    def get(self, request, pk: int):
        rule = _own_rule(request, pk)
        override_manual = request.GET.get("override_manual") == "1"
        result = rule_preview(rule=rule, override_manual=override_manual)
        context = {"rule": rule, "override_manual": override_manual, **_preview_context(result)}
        return render(request, "transactions/rule_preview.html", context)


class RuleApplyView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        rule = _own_rule(request, pk)
        override_manual = request.POST.get("override_manual") == "1"
        result = rule_apply(rule=rule, actor=request.user, override_manual=override_manual)
        kept = (
            f" {result.skipped_manual} whose category you set by hand kept it."
            if result.skipped_manual
            else ""
        )
        messages.success(
            request,
            f"“{rule.name}” changed {result.changed} of the {result.matched} matching "
            f"transaction{'s' if result.matched != 1 else ''}.{kept}",
        )
        return redirect("transactions-web:rule-preview", pk=rule.pk)


class RuleDeleteView(LoginRequiredMixin, View):
    def post(self, request, pk: int):
        rule = _own_rule(request, pk)
        name = rule.name
        rule_delete(rule=rule, actor=request.user)
        messages.success(
            request, f"The rule “{name}” is deleted; the categories it set stay as they are."
        )
        return redirect("transactions-web:rules")

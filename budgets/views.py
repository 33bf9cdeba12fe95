"""The customer's budgets pages: thin views over budgets.selectors and budgets.services.

A month's page is budgets.selectors.month_summary (every budget's progress and the spending
no budget covers, in a fixed number of queries). Each budget is looked up through
budget_list (the customer's own), so another customer's id is a 404 and nothing changes.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from accounts.currency import MissingRateError
from budgets.forms import BudgetForm, BudgetMonthForm, BudgetsCopyForm, month_label
from budgets.models import Budget
from budgets.selectors import budget_list, month_summary
from budgets.services import budget_delete
from smartbank.dates import add_months


def _own_budget(request, pk: int) -> Budget:
    return get_object_or_404(budget_list(user=request.user), pk=pk)


def _month_url(start: date) -> str:
    return f"{reverse('budgets-web:list')}?month={start:%Y-%m}"


class BudgetListView(LoginRequiredMixin, View):
    """A month's budgets with their progress bars, and the month's unbudgeted spending."""

    template_name = "budgets/budget_list.html"

    def get(self, request):
        user = request.user
        month_form = BudgetMonthForm(request.GET or None)
        status = 200
        start = user.today().replace(day=1)
        if month_form.is_bound:
            if month_form.is_valid():
                start = month_form.cleaned_data["month"] or start
            else:
                status = 400
        summary, rate_error = None, None
        try:
            summary = month_summary(user=user, year=start.year, month=start.month)
        except MissingRateError as exc:
            rate_error = str(exc)
        previous, following = add_months(start, -1), add_months(start, 1)
        context = {
            "month_form": month_form,
            "start": start,
            "label": month_label(start),
            "summary": summary,
            # What an exceeded budget is over by, shown as a positive amount.
            "over_by": {p.budget.pk: -p.remaining for p in summary.budgets} if summary else {},
            "rate_error": rate_error,
            "previous_url": _month_url(previous),
            "previous_label": month_label(previous),
            "next_url": _month_url(following),
            "next_label": month_label(following),
            "is_current": start == user.today().replace(day=1),
            "current_url": reverse("budgets-web:list"),
        }
        return render(request, self.template_name, context, status=status)


class BudgetFormView(LoginRequiredMixin, View):
    """Set a budget (no pk; ?month= and ?category= prefill it) or change one."""

    template_name = "budgets/budget_form.html"

    def _render(self, request, form, budget, status=200):
        return render(request, self.template_name, {"form": form, "budget": budget}, status=status)

    def get(self, request, pk=None):
        budget = None if pk is None else _own_budget(request, pk)
        initial = {}
        if budget is None:
            month_form = BudgetMonthForm(request.GET)
            month = month_form.cleaned_data.get("month") if month_form.is_valid() else None
            initial["month"] = month or request.user.today().replace(day=1)
            category = request.GET.get("category", "")
            if category.isdigit():
                initial["category"] = int(category)
        extra = {"initial": initial} if initial else {}
        form = BudgetForm(user=request.user, budget=budget, **extra)
        return self._render(request, form, budget)

    def post(self, request, pk=None):
        budget = None if pk is None else _own_budget(request, pk)
        form = BudgetForm(request.POST, user=request.user, budget=budget)
        if not form.is_valid():
            return self._render(request, form, budget, status=400)
        saved = form.saved_object
        verb = "set" if budget is None else "saved"
        messages.success(
            request, f"Your {saved.category.name} budget for {month_label(saved.month)} is {verb}."
        )
        return redirect(_month_url(saved.month))


class BudgetDeleteView(LoginRequiredMixin, View):
    """Confirm, then delete a budget; its transactions are untouched."""

    def get(self, request, pk):
        budget = _own_budget(request, pk)
        return render(request, "budgets/budget_delete.html", {"budget": budget})

    def post(self, request, pk):
        budget = _own_budget(request, pk)
        budget_delete(budget=budget, actor=request.user)
        messages.success(
            request,
            f"Your {budget.category.name} budget for {month_label(budget.month)} is deleted.",
        )
        return redirect(_month_url(budget.month))


class BudgetsCopyView(LoginRequiredMixin, View):
    """Copy last month's budgets into the month shown; categories already set are skipped."""

    def post(self, request):
        form = BudgetsCopyForm(request.POST, user=request.user)
        if not form.is_valid():
            errors = [message for messages_ in form.errors.values() for message in messages_]
            messages.error(request, "Nothing was copied: " + " ".join(errors))
            return redirect("budgets-web:list")
        target = form.cleaned_data["month"]
        source = month_label(add_months(target, -1))
        created = form.saved_object
        if created:
            count = len(created)
            messages.success(
                request,
                f"Copied {count} budget{'s' if count != 1 else ''} from {source} "
                f"into {month_label(target)}.",
            )
        else:
            messages.info(
                request,
                f"Nothing to copy: {source} has no budget for a category without one "
                f"in {month_label(target)}.",
            )
        return redirect(_month_url(target))

"""The categories pages: the defaults and the customer's own, add, rename, delete.

Thin over the same services as /api/v1/categories/ (category_create, category_update,
category_delete), which check every name. Categories are looked up among the customer's
own and the defaults (Category.objects.for_user), so another customer's id is a 404; a
default category is shown but refused (403) on its edit and delete pages, nothing changed.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from smartbank.forms import service_errors_to_form
from transactions.category_web_forms import CategoryNameForm
from transactions.models import Category, Transaction
from transactions.services import category_create, category_delete, category_update

# The service names the slug it would make from a name; the page asks only for the name.
SLUG_ERRORS_ON_NAME = {"slug": "name"}


def _own_or_default_category(request, pk: int) -> Category:
    return get_object_or_404(Category.objects.for_user(request.user), pk=pk)


def _transaction_counts(user) -> dict[int, int]:
    """How many of the user's transactions each category holds: one grouped query."""
    return dict(
        Transaction.objects.for_user(user)
        .filter(category__isnull=False)
        .order_by()
        .values("category")
        .annotate(count=Count("pk"))
        .values_list("category", "count")
    )


def _list_context(user, form: CategoryNameForm) -> dict:
    categories = list(Category.objects.for_user(user).order_by("name", "pk"))
    counts = _transaction_counts(user)
    for category in categories:
        category.transaction_count = counts.get(category.pk, 0)
    return {
        "defaults": [c for c in categories if c.is_default],
        "own": [c for c in categories if not c.is_default],
        "form": form,
    }


def _refuse_default(request, category: Category, template_name: str):
    """A default category's edit or delete page: said plainly, and nothing changes."""
    return render(request, template_name, {"category": category, "refused": True}, status=403)


class CategoryListView(LoginRequiredMixin, View):
    def get(self, request):
        context = _list_context(request.user, CategoryNameForm())
        return render(request, "transactions/categories.html", context)


class CategoryCreateView(LoginRequiredMixin, View):
    """POST only: the add form on the categories page; a refusal is shown there (400)."""

    def post(self, request):
        form = CategoryNameForm(request.POST)
        if form.is_valid():
            try:
                category = category_create(user=request.user, name=form.cleaned_data["name"])
            except ValidationError as exc:
                service_errors_to_form(form, exc, aliases=SLUG_ERRORS_ON_NAME)
            else:
                messages.success(request, f"The category “{category.name}” is added.")
                return redirect("transactions-web:categories")
        context = _list_context(request.user, form)
        return render(request, "transactions/categories.html", context, status=400)


class CategoryEditView(LoginRequiredMixin, View):
    """Rename one of the customer's own categories; its slug, which filters use, stays."""

    template_name = "transactions/category_form.html"

    def get(self, request, pk: int):
        category = _own_or_default_category(request, pk)
        if category.is_default:
            return _refuse_default(request, category, self.template_name)
        form = CategoryNameForm(initial={"name": category.name})
        return render(request, self.template_name, {"category": category, "form": form})

    def post(self, request, pk: int):
        category = _own_or_default_category(request, pk)
        if category.is_default:
            return _refuse_default(request, category, self.template_name)
        old_name = category.name
        form = CategoryNameForm(request.POST)
        if form.is_valid():
            try:
                category = category_update(
                    category=category, name=form.cleaned_data["name"], actor=request.user
                )
            except ValidationError as exc:
                service_errors_to_form(form, exc)
            else:
                messages.success(request, f"“{old_name}” is now called “{category.name}”.")
                return redirect("transactions-web:categories")
        category.name = old_name  # the heading names the category as it still is
        context = {"category": category, "form": form}
        return render(request, self.template_name, context, status=400)


class CategoryDeleteView(LoginRequiredMixin, View):
    """GET asks to confirm, saying how many transactions move to "Other"; POST deletes."""

    template_name = "transactions/category_delete.html"

    def get(self, request, pk: int):
        category = _own_or_default_category(request, pk)
        if category.is_default:
            return _refuse_default(request, category, self.template_name)
        return self._confirm(request, category)

    def post(self, request, pk: int):
        category = _own_or_default_category(request, pk)
        if category.is_default:
            return _refuse_default(request, category, self.template_name)
        name = category.name
        try:
            moved = category_delete(category=category, actor=request.user)
        except ValidationError as exc:
            # A rule or budget still refers to it; the service changed nothing.
            return self._confirm(request, category, errors=exc.messages, status=400)
        messages.success(
            request,
            f"The category “{name}” is deleted; its {moved} "
            f"transaction{'s are' if moved != 1 else ' is'} now in Other.",
        )
        return redirect("transactions-web:categories")

    def _confirm(self, request, category, *, errors=(), status=200):
        count = Transaction.objects.for_user(request.user).filter(category=category).count()
        context = {"category": category, "transaction_count": count, "errors": errors}
        return render(request, self.template_name, context, status=status)

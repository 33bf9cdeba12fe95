"""The customer's transaction pages: thin views over transactions.selectors and the services.

Every page starts from the customer's own transactions (selectors.transaction_list), so
another customer's id is a 404. The list's filters are the API's (TransactionFilter), so
the two validate alike.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, TemplateView

from smartbank.admin import capfirst_name
from transactions import selectors
from transactions.api.filters import TransactionFilter
from transactions.forms import (
    BulkCategoryForm,
    CategoryChoiceForm,
    TransactionForm,
    TransferForm,
    TransferLegForm,
    filing_categories,
)
from transactions.models import CategoryChange, Transaction
from transactions.rule_services import (
    MAX_BULK_IDS,
    transaction_set_category,
    transactions_bulk_categorize,
)
from transactions.services import transaction_delete

PAGE_SIZE = 50
# The latest category changes the edit page shows; the API's category-history has them all.
CATEGORY_HISTORY_LIMIT = 20
# The filters the page offers, with the labels a person reads (the API's are for developers).
FILTER_LABELS = {
    "q": "Search",
    "account": "Account",
    "date_from": "From",
    "date_to": "To",
    "amount_min": "Amount at least",
    "amount_max": "Amount at most",
    "category": "Category",
    "kind": "Kind",
}


def own_transaction(request, pk: int) -> Transaction:
    return get_object_or_404(selectors.transaction_list(user=request.user), pk=pk)


def _back_to_list(request):
    """Back to the list the customer came from, its filters and page kept."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("transactions-web:list")


def _service_error_text(exc: ValidationError) -> str:
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    return " ".join(
        f"{capfirst_name(field)}: {message}"
        for field, errors in exc.message_dict.items()
        for message in errors
    )


class TransactionListView(LoginRequiredMixin, TemplateView):
    template_name = "transactions/transaction_list.html"

    def get(self, request, *args, **kwargs):
        user = request.user
        filterset = TransactionFilter(
            data=request.GET,
            queryset=selectors.transaction_list(user=user),
            request=request,
        )
        form = filterset.form
        for name, label in FILTER_LABELS.items():
            form.fields[name].label = label
        for name in ("date_from", "date_to"):
            form.fields[name].widget.input_type = "date"
        form.fields["account"].empty_label = "Any account"
        form.fields["kind"].choices = [("", "Any kind"), *Transaction.Kind.choices]
        categories = list(filing_categories(user).only("id", "slug", "name", "user_id"))
        valid = filterset.is_valid()
        page = None
        if valid:
            paginator = Paginator(filterset.qs, PAGE_SIZE)
            page = paginator.get_page(request.GET.get("page"))
        context = self.get_context_data(
            filter_form=form,
            filter_fields=[form[name] for name in FILTER_LABELS],
            page=page,
            rows=list(page.object_list) if page is not None else [],
            categories=categories,
            filtered=bool(request.GET.keys() - {"page"}),
            max_bulk_ids=MAX_BULK_IDS,
        )
        # A bad filter is the customer's mistake, shown beside its field.
        return self.render_to_response(context, status=200 if valid else 400)


class TransactionCreateView(LoginRequiredMixin, FormView):
    template_name = "transactions/transaction_form.html"
    form_class = TransactionForm

    def get_initial(self):
        initial = super().get_initial()
        account = self.request.GET.get("account", "")
        if account.isdigit():
            initial["account"] = int(account)
        return initial

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        messages.success(self.request, "The transaction is added.")
        return redirect("transactions-web:list")


class TransactionUpdateView(LoginRequiredMixin, FormView):
    template_name = "transactions/transaction_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.transaction = own_transaction(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        if self.transaction.kind == Transaction.Kind.TRANSFER:
            return TransferLegForm
        return TransactionForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "transaction": self.transaction,
        }

    def get_context_data(self, **kwargs):
        history = self.category_history()
        return super().get_context_data(
            transaction=self.transaction,
            category_history=history[:CATEGORY_HISTORY_LIMIT],
            category_history_more=len(history) > CATEGORY_HISTORY_LIMIT,
            **kwargs,
        )

    def category_history(self) -> list[CategoryChange]:
        """The changes of this transaction's category, newest first, as the API's
        category-history lists them; one query, whatever their number."""
        changes = selectors.category_history(user=self.request.user, transaction=self.transaction)
        return list(changes[: CATEGORY_HISTORY_LIMIT + 1])

    def form_valid(self, form):
        messages.success(self.request, "The transaction is saved.")
        return redirect("transactions-web:list")


class TransactionDeleteView(LoginRequiredMixin, TemplateView):
    """GET asks to confirm; POST deletes (both legs of a transfer) through the ledger."""

    template_name = "transactions/transaction_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            transaction=own_transaction(self.request, kwargs["pk"]), **kwargs
        )

    def post(self, request, pk: int):
        txn = own_transaction(request, pk)
        deleted = transaction_delete(transaction=txn, actor=request.user)
        messages.success(
            request,
            "The transfer (both legs) is deleted."
            if deleted > 1
            else "The transaction is deleted.",
        )
        return redirect("transactions-web:list")


class TransferCreateView(LoginRequiredMixin, FormView):
    template_name = "transactions/transfer_form.html"
    form_class = TransferForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        messages.success(self.request, "The transfer is made.")
        return redirect("transactions-web:list")


class TransactionCategoryView(LoginRequiredMixin, View):
    """POST one row's category by hand: the list's inline select without JavaScript.

    With JavaScript the page calls PUT /api/v1/transactions/{id}/category/ instead; both go
    through transaction_set_category.
    """

    def post(self, request, pk: int):
        txn = own_transaction(request, pk)
        form = CategoryChoiceForm(request.POST, user=request.user)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors["category"]))
            return _back_to_list(request)
        try:
            transaction_set_category(
                transaction=txn, category=form.cleaned_data["category"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, _service_error_text(exc))
            return _back_to_list(request)
        messages.success(request, "The category is saved.")
        return _back_to_list(request)


class TransactionBulkCategoryView(LoginRequiredMixin, View):
    """POST the ticked rows' ids and a category: transactions_bulk_categorize, all or nothing."""

    def post(self, request):
        form = BulkCategoryForm(
            {"ids": request.POST.getlist("ids"), "category": request.POST.get("category", "")},
            user=request.user,
            max_ids=MAX_BULK_IDS,
        )
        if not form.is_valid():
            messages.error(
                request,
                " ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()),
            )
            return _back_to_list(request)
        try:
            result = transactions_bulk_categorize(
                user=request.user,
                category=form.cleaned_data["category"],
                actor=request.user,
                ids=form.cleaned_data["ids"],
            )
        except ValidationError as exc:
            messages.error(request, _service_error_text(exc))
            return _back_to_list(request)
        messages.success(
            request,
            f"{result.updated} transaction{'s' if result.updated != 1 else ''} changed, "
            f"{result.unchanged} already in that category.",
        )
        return _back_to_list(request)

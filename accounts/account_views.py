"""The customer's bank account pages: thin views over accounts.selectors and accounts.services.

Every page starts from the customer's own accounts, so another customer's id is a 404.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.account_forms import BankAccountForm
from accounts.models import BankAccount
from accounts.selectors import ArchivedState, balance_history, bank_account_list
from accounts.services import account_update
from transactions.selectors import transaction_list

# How much history the balance chart and the latest-transactions table show.
HISTORY_DAYS = 365
LATEST_TRANSACTIONS = 10


def own_account(request, pk: int) -> BankAccount:
    return get_object_or_404(BankAccount.objects.for_user(request.user), pk=pk)


class AccountListView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/account_list.html"

    def get_context_data(self, **kwargs):
        archived = self.request.GET.get("archived", ArchivedState.ACTIVE)
        if archived not in ArchivedState.values:
            archived = ArchivedState.ACTIVE
        return super().get_context_data(
            accounts=list(bank_account_list(user=self.request.user, archived=archived)),
            archived=archived,
            states=ArchivedState,
            **kwargs,
        )


class AccountDetailView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/account_detail.html"

    def get_context_data(self, **kwargs):
        account = own_account(self.request, kwargs["pk"])
        today = self.request.user.today()
        history = balance_history(
            account=account,
            first_day=today - datetime.timedelta(days=HISTORY_DAYS),
            last_day=today,
        )
        latest = list(
            transaction_list(user=self.request.user).filter(account=account)[:LATEST_TRANSACTIONS]
        )
        chart = {
            "currency": account.currency,
            "labels": [point.day.isoformat() for point in history],
            "balances": [str(point.balance) for point in history],
        }
        return super().get_context_data(
            account=account,
            chart=chart,
            history=history,
            first_point=history[0] if history else None,
            last_point=history[-1] if history else None,
            latest=latest,
            **kwargs,
        )


class AccountCreateView(LoginRequiredMixin, FormView):
    template_name = "accounts/account_form.html"
    form_class = BankAccountForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        account = form.saved_object
        messages.success(self.request, f"{account.name} is open.")
        return redirect("accounts-web:detail", pk=account.pk)


class AccountUpdateView(LoginRequiredMixin, FormView):
    template_name = "accounts/account_form.html"
    form_class = BankAccountForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.account = own_account(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "account": self.account}

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=self.account, **kwargs)

    def form_valid(self, form):
        messages.success(self.request, f"{form.saved_object.name} is saved.")
        return redirect("accounts-web:detail", pk=self.account.pk)


class AccountArchiveView(LoginRequiredMixin, TemplateView):
    """GET asks to confirm; POST archives.

    Archiving keeps the account and its history and only takes it off the lists and the
    forms; it goes through account_update like PATCH is_archived on the API.
    """

    template_name = "accounts/account_archive.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(account=own_account(self.request, kwargs["pk"]), **kwargs)

    def post(self, request, pk: int):
        account = own_account(request, pk)
        if not account.is_archived:
            account = account_update(account=account, actor=request.user, is_archived=True)
        messages.success(request, f"{account.name} is archived. You can bring it back here.")
        return redirect(reverse("accounts-web:detail", args=[account.pk]))


class AccountRestoreView(LoginRequiredMixin, View):
    """POST only: an archived account back on the lists."""

    def post(self, request, pk: int):
        account = own_account(request, pk)
        if account.is_archived:
            account = account_update(account=account, actor=request.user, is_archived=False)
            messages.success(request, f"{account.name} is active again.")
        return redirect("accounts-web:detail", pk=account.pk)

"""The insight pages: the customer's dashboard (and, below it, reports and the staff page).

The dashboard renders only what is cheap on the server: the page shell, the filter form with
its values (from the URL, so a reload keeps them) and the customer's categories. Every card
and chart is filled by ``static/insights/dashboard.js`` from the JSON API with the same
filters, so what a chart shows is what the API answers, by construction, and one change of
filter redraws them all together.
"""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.views.generic import TemplateView

from accounts.models import BankAccount, User
from accounts.roles import sees_portfolio
from alerts.models import AlertType
from insights import exports
from insights.api.filters import default_date_from
from insights.models import Export
from smartbank.admin import ServiceFormMixin
from transactions import selectors as transaction_selectors
from transactions.api.filters import TransactionFilter
from transactions.api.serializers import ACCOUNT_NOT_FOUND
from transactions.selectors import categories_for_user

PERIODS = (("month", "Month"), ("week", "Week"))


def _url_or_none(*names: str) -> str | None:
    """The first of ``names`` that resolves: pages built by others may not exist yet."""
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return None


class DashboardFilterForm(forms.Form):
    """The dashboard's filters, read from the query string (GET), as the API takes them.

    Only the shape is checked here (a date, one of the customer's categories); the API
    checks the rest (a range the wrong way round, too long) and the page shows its message
    beside the field.
    """

    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(label="Category", required=False)
    period = forms.ChoiceField(
        label="Spending over time by", required=False, choices=PERIODS, initial="month"
    )

    def __init__(self, query, *, user, categories):
        today = user.today()
        # The API's own default range (the 12 calendar months up to today) fills what the
        # URL leaves out, so the inputs show the range the figures cover.
        self.defaults = {
            "date_from": default_date_from(today).isoformat(),
            "date_to": today.isoformat(),
            "category": "",
            "period": "month",
        }
        given = {name: value for name, value in query.items() if name in self.defaults}
        super().__init__({**self.defaults, **given})
        self.fields["category"].choices = [("", "All categories")] + [
            (category.slug, category.name) for category in categories
        ]

    def values(self) -> dict[str, str]:
        """The filters in force: each valid value given, else its default."""
        self.is_valid()
        values = {}
        for name, default in self.defaults.items():
            if name in self.errors:
                values[name] = default
                continue
            value = self.cleaned_data.get(name) or default
            values[name] = value.isoformat() if isinstance(value, datetime.date) else value
        return values


def _distinct_by_slug(categories) -> list:
    """One category per slug: ``categories_for_user`` lists the customer's own first."""
    seen, distinct = set(), []
    for category in categories:
        if category.slug not in seen:
            seen.add(category.slug)
            distinct.append(category)
    return sorted(distinct, key=lambda category: category.name.lower())


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "insights/dashboard.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        categories = _distinct_by_slug(categories_for_user(user=user))
        form = DashboardFilterForm(self.request.GET, user=user, categories=categories)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "filters": form.values(),
            "today": user.today(),
            "has_accounts": BankAccount.objects.for_user(user).exists(),
            "categories": categories,
            "links": {
                "add_account": _url_or_none("accounts-web:add", "accounts-web:list"),
                "import": _url_or_none("transactions-web:import"),
                "transactions": _url_or_none("transactions-web:list"),
                "budgets": _url_or_none("budgets-web:list"),
                "bills": _url_or_none("bills-web:list"),
                "alerts": _url_or_none("alerts-web:list"),
                "rewards": _url_or_none("rewards-web:overview"),
            },
        }


# --- Reports: CSV exports and PDF statements ---------------------------------------------

STATEMENTS_SHOWN = 20


class CsvExportForm(forms.Form):
    """What the page offers of the transaction list's filters. The export itself is filtered
    by ``TransactionFilter``, the API's own, so the page and the API export the same rows."""

    account = forms.ChoiceField(label="Account", required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    category = forms.ChoiceField(label="Category", required=False)
    q = forms.CharField(
        label="Text",
        required=False,
        max_length=200,
        help_text="Every word must appear in the description, merchant or notes.",
    )

    def __init__(self, *args, accounts, categories, **kwargs):
        kwargs.setdefault("prefix", "csv")
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "All accounts")] + [
            (str(account.pk), account.name) for account in accounts
        ]
        self.fields["category"].choices = [("", "All categories")] + [
            (category.slug, category.name) for category in categories
        ]

    def filter_data(self) -> dict[str, str]:
        """The cleaned values as the query-string text TransactionFilter reads."""
        return {
            name: value.isoformat() if isinstance(value, datetime.date) else str(value)
            for name, value in self.cleaned_data.items()
            if value not in (None, "")
        }


class StatementForm(ServiceFormMixin, forms.Form):
    """Ask for a PDF statement through ``insights.exports.statement_export_create``."""

    account = forms.TypedChoiceField(
        label="Account", coerce=int, error_messages={"invalid_choice": ACCOUNT_NOT_FOUND}
    )
    date_from = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, accounts, **kwargs):
        kwargs.setdefault("prefix", "statement")
        super().__init__(*args, **kwargs)
        self.user = user
        # Only the customer's own accounts are choices: another id is "Account not found."
        self.accounts = {account.pk: account for account in accounts}
        self.fields["account"].choices = [
            (account.pk, account.name) for account in self.accounts.values()
        ]

    def clean_account(self):
        return self.accounts[self.cleaned_data["account"]]

    def apply(self):
        return exports.statement_export_create(user=self.user, **self.cleaned_data)


def _last_month(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    last_day = today.replace(day=1) - datetime.timedelta(days=1)
    return last_day.replace(day=1), last_day


class ReportsView(LoginRequiredMixin, TemplateView):
    """GET shows both forms and the customer's statements; the two POSTs below answer with
    the CSV file or a redirect back here, or this page again with the errors beside their
    fields (400)."""

    template_name = "insights/reports.html"

    def accounts(self):
        return BankAccount.objects.for_user(self.request.user).order_by("name")

    def csv_form(self, data=None, accounts=None):
        categories = _distinct_by_slug(categories_for_user(user=self.request.user))
        return CsvExportForm(data, accounts=accounts or self.accounts(), categories=categories)

    def statement_form(self, data=None, accounts=None):
        user = self.request.user
        initial = dict(zip(("date_from", "date_to"), _last_month(user.today()), strict=True))
        return StatementForm(data, user=user, accounts=accounts or self.accounts(), initial=initial)

    def get_context_data(self, **kwargs):
        accounts = list(self.accounts())
        context = super().get_context_data(**kwargs)
        context.setdefault("csv_form", self.csv_form(accounts=accounts))
        context.setdefault("statement_form", self.statement_form(accounts=accounts))
        context["has_accounts"] = bool(accounts)
        context["statements"] = list(
            exports.exports_for_user(user=self.request.user)[:STATEMENTS_SHOWN]
        )
        context["unfinished"] = (Export.Status.PENDING, Export.Status.RUNNING)
        context["add_account_url"] = _url_or_none("accounts-web:add", "accounts-web:list")
        return context


class CsvExportView(ReportsView):
    http_method_names = ["post"]

    def post(self, request):
        form = self.csv_form(request.POST)
        if form.is_valid():
            filterset = TransactionFilter(
                data=form.filter_data(),
                queryset=transaction_selectors.transaction_list(user=request.user),
                request=request,
            )
            if filterset.is_valid():
                response = StreamingHttpResponse(
                    exports.transactions_csv(filterset.qs), content_type="text/csv; charset=utf-8"
                )
                filename = exports.transactions_csv_filename(user=request.user)
                response["Content-Disposition"] = content_disposition_header(True, filename)
                return response
            for name, errors in filterset.errors.items():
                form.add_error(name if name in form.fields else None, errors)
        return self.render_to_response(self.get_context_data(csv_form=form), status=400)


class StatementRequestView(ReportsView):
    http_method_names = ["post"]

    def post(self, request):
        form = self.statement_form(request.POST)
        if form.is_valid():
            export = form.saved_object
            messages.success(
                request,
                f"Your statement of {export.account.name} from {export.date_from:%d %b %Y} "
                f"to {export.date_to:%d %b %Y} is being made; it will appear below.",
            )
            return redirect("insights-web:reports")
        return self.render_to_response(self.get_context_data(statement_form=form), status=400)


# --- Staff: the portfolio as charts --------------------------------------------------------


class PortfolioFilterForm(forms.Form):
    """The portfolio's range (UTC days, as the API takes it); empty means the API's default
    (this month so far)."""

    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def values(self) -> dict[str, str]:
        """The valid values given; a bad one is left out (the API's default applies)."""
        self.is_valid()
        return {
            name: self.cleaned_data[name].isoformat()
            for name in self.fields
            if name not in self.errors and self.cleaned_data.get(name)
        }


class StaffDashboardView(LoginRequiredMixin, TemplateView):
    """Admin and auditor only (403 for support and customers): the charts come from
    /api/v1/staff/portfolio/, which writes each view to the audit log."""

    template_name = "insights/staff_dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not sees_portfolio(user):
            raise PermissionDenied("Only admin and auditor staff may see the portfolio.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = PortfolioFilterForm(self.request.GET)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "filters": form.values(),
            "names": {
                "kyc_status": dict(User.KycStatus.choices),
                "alert_type": dict(AlertType.choices),
            },
        }

"""The customer's alerts pages: thin views over alerts.selectors and alerts.services.

Each alert is looked up through alerts.selectors.alert_list (the customer's own, not
deleted), so another customer's id is a 404 and nothing changes.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from alerts.forms import CHANNELS, AlertFilterForm, AlertPreferencesForm
from alerts.selectors import alert_list, alert_unread_count
from alerts.services import alert_delete, alert_dismiss, alert_read, alerts_read_all

ALERTS_PER_PAGE = 25


def _back(request):
    """Back to the list the button was pressed on (its filters and page), never off-site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("alerts-web:list")


class AlertListView(LoginRequiredMixin, View):
    """The feed (not dismissed), unread first, then newest; filters by unread and type."""

    def get(self, request):
        user = request.user
        filters = AlertFilterForm(request.GET or None)
        alerts = alert_list(user=user).filter(dismissed_at__isnull=True)
        status = 200
        if filters.is_bound and not filters.is_valid():
            status = 400
        elif filters.is_bound:
            if filters.cleaned_data["show"] == "unread":
                alerts = alerts.filter(read_at__isnull=True)
            if filters.cleaned_data["type"]:
                alerts = alerts.filter(alert_type=filters.cleaned_data["type"])
        unread_first = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
        alerts = alerts.order_by(unread_first.desc(), "-created_at", "-id")
        page = Paginator(alerts, ALERTS_PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "filters": filters,
            "page_obj": page,
            "unread_count": alert_unread_count(user=user),
            "query": query.urlencode(),
            "here": request.get_full_path(),
        }
        return render(request, "alerts/alert_list.html", context, status=status)


class AlertReadView(LoginRequiredMixin, View):
    def post(self, request, pk):
        alert = get_object_or_404(alert_list(user=request.user), pk=pk)
        alert_read(alert=alert)
        messages.success(request, f"“{alert.title}” is marked read.")
        return _back(request)


class AlertDismissView(LoginRequiredMixin, View):
    def post(self, request, pk):
        alert = get_object_or_404(alert_list(user=request.user), pk=pk)
        alert_dismiss(alert=alert)
        messages.success(request, f"“{alert.title}” is dismissed.")
        return _back(request)


class AlertDeleteView(LoginRequiredMixin, View):
    """Delete an alert for good, by alert_delete as the API's DELETE does: it leaves every
    list (dismissed ones too) and, its key kept, is never raised again."""

    def post(self, request, pk):
        alert = get_object_or_404(alert_list(user=request.user), pk=pk)
        alert_delete(alert=alert)
        messages.success(
            request, f"“{alert.title}” is deleted for good: it cannot be brought back."
        )
        return _back(request)


class AlertReadAllView(LoginRequiredMixin, View):
    def post(self, request):
        count = alerts_read_all(user=request.user)
        messages.success(
            request,
            f"{count} alert{'s' if count != 1 else ''} marked read."
            if count
            else "Every alert was read already.",
        )
        return _back(request)


class AlertPreferencesView(LoginRequiredMixin, View):
    """Per alert type: in the app, by email, by text message, and its threshold."""

    template_name = "alerts/preferences.html"

    def _render(self, request, form, status=200):
        context = {"form": form, "channels": CHANNELS}
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        return self._render(request, AlertPreferencesForm(user=request.user))

    def post(self, request):
        form = AlertPreferencesForm(request.POST, user=request.user)
        if not form.is_valid():
            return self._render(request, form, status=400)
        saved = form.saved_object
        messages.success(
            request,
            "Your alert preferences are saved." if saved else "Nothing changed.",
        )
        return redirect("alerts-web:preferences")

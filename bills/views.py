"""The customer's bills pages: thin views over bills.selectors and bills.services.

Every bill is looked up through bills.selectors.bill_list (the customer's own), so another
customer's id is a 404 and nothing changes. Writes are POSTs through the same services as
the API (bill_create, bill_update, bill_pay); a refusal is shown beside its field.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html
from django.views import View
from django.views.generic import TemplateView

from alerts.forms import CHANNELS
from bills.forms import BillAutopayForm, BillForm, BillPayForm
from bills.models import Bill, BillStatus
from bills.selectors import bill_list
from bills.services import bill_delete, bill_send_reminder
from smartbank.web import money_html

# How far back the "Paid recently" list looks, and how many it shows at most.
PAID_RECENTLY_DAYS = 62
PAID_RECENTLY_MAX = 10


def _bills(user, today: datetime.date):
    return bill_list(user=user, today=today).select_related("account", "paid_transaction")


def _own_bill(request, pk: int) -> Bill:
    return get_object_or_404(_bills(request.user, request.user.today()), pk=pk)


def _list_context(user, *, row_errors: dict[int, str] | None = None) -> dict:
    today = user.today()
    unpaid = list(_bills(user, today).unpaid())
    paid = list(
        _bills(user, today)
        .filter(
            paid_transaction__isnull=False,
            due_date__gte=today - datetime.timedelta(days=PAID_RECENTLY_DAYS),
        )
        .order_by("-due_date", "-id")[:PAID_RECENTLY_MAX]
    )
    return {
        "today": today,
        "overdue": [bill for bill in unpaid if bill.status == BillStatus.OVERDUE],
        "upcoming": [bill for bill in unpaid if bill.status != BillStatus.OVERDUE],
        "paid": paid,
        "row_errors": row_errors or {},
        "paid_recently_days": PAID_RECENTLY_DAYS,
    }


def _refused_on_row(request, bill: Bill, error: str):
    """The bills page again (400) with ``error`` beside the bill's actions; a bill the page
    does not list (paid long ago) has it said at the top instead."""
    context = _list_context(request.user, row_errors={bill.pk: error})
    shown = context["overdue"] + context["upcoming"] + context["paid"]
    if all(row.pk != bill.pk for row in shown):
        messages.error(request, f"{bill.biller}: {error}")
    return render(request, "bills/bill_list.html", context, status=400)


class BillListView(LoginRequiredMixin, TemplateView):
    """Overdue, then due and upcoming, then recently paid bills, each with its actions."""

    template_name = "bills/bill_list.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_list_context(self.request.user)}


class BillFormView(LoginRequiredMixin, View):
    """Add a bill (no pk) or edit one of the customer's bills."""

    template_name = "bills/bill_form.html"

    def _bill(self, request, pk):
        return None if pk is None else _own_bill(request, pk)

    def _render(self, request, form, bill, status=200):
        return render(request, self.template_name, {"form": form, "bill": bill}, status=status)

    def get(self, request, pk=None):
        bill = self._bill(request, pk)
        return self._render(request, BillForm(user=request.user, bill=bill), bill)

    def post(self, request, pk=None):
        bill = self._bill(request, pk)
        form = BillForm(request.POST, user=request.user, bill=bill)
        if not form.is_valid():
            return self._render(request, form, bill, status=400)
        saved = form.saved_object
        verb = "added" if bill is None else "saved"
        messages.success(request, f"{saved.biller} is {verb}, due on {saved.due_date:%Y-%m-%d}.")
        return redirect("bills-web:list")


class BillPayView(LoginRequiredMixin, View):
    """Pay a bill now; the confirmation names the account's new balance."""

    template_name = "bills/bill_pay.html"

    def _render(self, request, form, bill, status=200):
        return render(request, self.template_name, {"form": form, "bill": bill}, status=status)

    def get(self, request, pk):
        bill = _own_bill(request, pk)
        return self._render(request, BillPayForm(user=request.user, bill=bill), bill)

    def post(self, request, pk):
        bill = _own_bill(request, pk)
        form = BillPayForm(request.POST, user=request.user, bill=bill)
        if not form.is_valid():
            return self._render(request, form, bill, status=400)
        account = form.cleaned_data.get("account") or bill.account
        # bill_pay leaves the paying account's new balance on the object it was given.
        messages.success(
            request,
            format_html(
                "Paid {} to {} from {}. Its balance is now {}.",
                money_html(bill.amount_due, bill.currency),
                bill.biller,
                account.name,
                money_html(account.balance, account.currency),
            ),
        )
        return redirect("bills-web:list")


class BillAutopayView(LoginRequiredMixin, View):
    """Turn a bill's auto-pay on or off; a refusal is shown beside the bill's switch."""

    def post(self, request, pk):
        bill = _own_bill(request, pk)
        form = BillAutopayForm(request.POST, user=request.user, bill=bill)
        if not form.is_valid():
            errors = [message for messages_ in form.errors.values() for message in messages_]
            return _refused_on_row(request, bill, " ".join(errors))
        state = "on" if form.cleaned_data["autopay"] else "off"
        messages.success(request, f"Auto-pay for {bill.biller} is {state}.")
        return redirect("bills-web:list")


class BillDeleteView(LoginRequiredMixin, View):
    """Confirm, then delete a bill; a payment it had stays in the ledger."""

    def get(self, request, pk):
        return render(request, "bills/bill_delete.html", {"bill": _own_bill(request, pk)})

    def post(self, request, pk):
        bill = _own_bill(request, pk)
        bill_delete(bill=bill, actor=request.user)
        messages.success(request, f"{bill.biller}, due on {bill.due_date:%Y-%m-%d}, is deleted.")
        return redirect("bills-web:list")


# How a reminder's channels read in the confirmation (as on the alert preferences), and what
# to do when one had nowhere to go.
_CHANNEL_NAMES = {channel: label.lower() for channel, label in CHANNELS}
_NO_RECIPIENT = {
    "email": "add an email address in your settings",
    "sms": "add a phone number in your settings",
}


def _reminder_sent(bill: Bill, notifications: list) -> str:
    """What a reminder queued, channel by channel, as the customer reads it."""
    queued = [
        f"by {_CHANNEL_NAMES.get(n.channel, n.channel)} to {n.recipient}"
        for n in notifications
        if n.recipient
    ]
    lines = [
        f"A reminder of {bill.biller} is on its way {' and '.join(queued)}."
        if queued
        else f"No reminder of {bill.biller} could be sent."
    ]
    lines += [
        f"To get reminders by {_CHANNEL_NAMES.get(n.channel, n.channel)}, "
        f"{_NO_RECIPIENT.get(n.channel, 'check your settings')}."
        for n in notifications
        if not n.recipient
    ]
    return " ".join(lines)


class BillSendReminderView(LoginRequiredMixin, View):
    """Send a reminder of an unpaid bill now, by bill_send_reminder as the API does; a
    refusal (a paid bill, every channel off, one sent minutes ago) is shown beside the bill."""

    def post(self, request, pk):
        bill = _own_bill(request, pk)
        try:
            notifications = bill_send_reminder(bill=bill)
        except ValidationError as exc:
            return _refused_on_row(request, bill, " ".join(exc.messages))
        messages.success(request, _reminder_sent(bill, notifications))
        return redirect("bills-web:list")

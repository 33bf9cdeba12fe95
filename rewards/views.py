"""The customer's rewards page: points balance, history and redemption.

Thin over rewards.selectors (the customer's own programme, balance annotated) and
rewards.services.points_redeem (the same as the API's redeem).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.views import View

from rewards.forms import PointsRedeemForm
from rewards.models import RedemptionRate
from rewards.selectors import programme_entries, programmes_for_user
from rewards.services import programme_create
from smartbank.web import money_html

ENTRIES_PER_PAGE = 20


def _programme(user):
    programme = programmes_for_user(user=user).first()
    if programme is None:
        # Sign-up makes one; a user from before rewards existed gets theirs now.
        programme_create(user=user)
        programme = programmes_for_user(user=user).first()
    return programme


class RewardsOverviewView(LoginRequiredMixin, View):
    template_name = "rewards/overview.html"

    def _render(self, request, programme, form, status=200):
        page = Paginator(
            programme_entries(programme=programme).select_related("transaction"),
            ENTRIES_PER_PAGE,
        ).get_page(request.GET.get("page"))
        context = {
            "programme": programme,
            "form": form,
            "page_obj": page,
            "rates": list(RedemptionRate.objects.order_by("currency")),
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request):
        programme = _programme(request.user)
        form = PointsRedeemForm(programme=programme, user=request.user)
        return self._render(request, programme, form)

    def post(self, request):
        programme = _programme(request.user)
        form = PointsRedeemForm(request.POST, programme=programme, user=request.user)
        if not form.is_valid():
            return self._render(request, programme, form, status=400)
        redemption = form.saved_object
        account = form.cleaned_data["account"]
        account.refresh_from_db(fields=["balance"])
        messages.success(
            request,
            format_html(
                "Redeemed {} points for {} on {} (its balance is now {}). You have {} points left.",
                -redemption.entry.points,
                money_html(redemption.credit, redemption.currency),
                account.name,
                money_html(account.balance, account.currency),
                redemption.balance,
            ),
        )
        return redirect("rewards-web:overview")

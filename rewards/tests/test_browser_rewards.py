"""Rewards in a real browser: the balance and history, a refused redemption shown beside its
field, then a redemption that credits the account."""

from decimal import Decimal

import pytest

from accounts.models import BankAccount
from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from rewards.models import RedemptionRate
from rewards.tests.factories import PointsEntryFactory, RewardProgrammeFactory
from smartbank.browser import browser_context, check_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_points_history_and_redeem(live_server):
    RedemptionRate.objects.update_or_create(
        currency="EUR", defaults={"points_per_unit": 100, "minimum_points": 500}
    )
    user = UserFactory()
    account = BankAccountFactory(user=user, name="Everyday", opening_balance=Decimal("100.00"))
    programme = RewardProgrammeFactory(user=user)
    PointsEntryFactory(programme=programme, points=1500, reason="Welcome bonus")

    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
        page.goto(f"{live_server.url}/rewards/")
        assert page.locator("[data-points-balance]").inner_text() == "1500"
        check_page(page, "rewards")

        page.get_by_label("Points", exact=True).fill("9000")
        page.get_by_label("Credit to").select_option(str(account.pk))
        page.get_by_role("button", name="Redeem").click()
        assert "You have 1500 points" in page.locator("#id_points_error").inner_text()
        check_page(page, "rewards-error")

        page.get_by_label("Points", exact=True).fill("1000")
        with page.expect_navigation():
            page.get_by_role("button", name="Redeem").click()
        status = page.get_by_role("status").inner_text()
        assert "Redeemed 1000 points for €10.00 on Everyday" in status
        assert "its balance is now €110.00" in status
        assert page.locator("[data-points-balance]").inner_text() == "500"
        assert "-1000" in page.locator("table").inner_text()
        assert context.outside_requests == []
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("110.00")

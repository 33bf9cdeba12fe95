"""Budgets in a real browser: progress bars with the exceeded badge, copy last month, add a
budget with a mistake shown beside its field, month navigation; another customer's budget
is a 404."""

from decimal import Decimal

import pytest

from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from budgets.models import Budget
from budgets.tests.factories import BudgetFactory
from smartbank.browser import browser_context, check_page, log_in
from smartbank.dates import add_months
from transactions.tests.factories import TransactionFactory, default_category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_budgets_progress_copy_and_add(live_server):
    user = UserFactory()
    this_month = user.today().replace(day=1)
    last_month = add_months(this_month, -1)
    account = BankAccountFactory(user=user, opening_balance=Decimal("3000.00"))
    groceries = BudgetFactory(
        user=user, month=this_month, category=default_category("groceries"), amount=Decimal("100")
    )
    BudgetFactory(user=user, month=last_month, category=default_category("dining"))
    TransactionFactory(
        account=account,
        amount=Decimal("-130.00"),
        category=default_category("groceries"),
        txn_date=this_month,
    )
    TransactionFactory(
        account=account,
        amount=Decimal("-42.00"),
        category=default_category("transport"),
        txn_date=this_month,
    )
    stranger = BudgetFactory(user=UserFactory(), month=this_month)

    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
        page.goto(f"{live_server.url}/budgets/")
        card = page.locator(f"#budget-{groceries.pk}")
        assert card.locator(".badge.exceeded").inner_text() == "Exceeded"
        assert card.locator("[data-percent]").inner_text() == "130.00%"
        assert page.get_by_label("Groceries: 130.00% used").evaluate("bar => bar.position") == 1
        assert "€42.00" in page.locator("#unbudgeted-title + .table-wrap").inner_text()
        check_page(page, "budgets")

        with page.expect_navigation():
            page.get_by_role("button", name="Copy last month's budgets").click()
        assert "Copied 1 budget" in page.get_by_role("status").inner_text()
        assert Budget.objects.filter(user=user, month=this_month).count() == 2

        page.get_by_role("link", name="Set a budget for Transport").click()
        page.get_by_label("Amount").fill("0")
        page.get_by_role("button", name="Add the budget").click()
        assert "greater than or equal to 0.01" in page.locator("#id_amount_error").inner_text()
        check_page(page, "budget-form-error")
        page.get_by_label("Amount").fill("60")
        with page.expect_navigation():
            page.get_by_role("button", name="Add the budget").click()
        assert "Transport budget" in page.get_by_role("status").inner_text()
        assert page.get_by_label("Transport: 70.00% used").is_visible()

        page.get_by_role("link", name=f"← {last_month:%B %Y}").click()
        page.wait_for_url(f"**/budgets/?month={last_month:%Y-%m}")
        assert f"Budgets for {last_month:%B %Y}" in page.locator("h1").inner_text()

        response = page.goto(f"{live_server.url}/budgets/{stranger.pk}/edit/")
        assert response.status == 404
        assert context.outside_requests == []
    assert Budget.objects.filter(user=user, month=this_month).count() == 3

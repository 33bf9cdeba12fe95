"""Bills in a real browser: pay a bill and see the account's balance change; auto-pay on;
add a bill with a mistake shown beside its field; another customer's bill is a 404."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import BankAccount
from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from bills.models import Bill
from bills.tests.factories import BillFactory
from smartbank.browser import browser_context, check_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pay_a_bill_and_see_the_balance_change(live_server):
    user = UserFactory()
    today = user.today()
    account = BankAccountFactory(user=user, name="Everyday", opening_balance=Decimal("1000.00"))
    power = BillFactory(
        user=user, account=account, biller="City Power", due_date=today + datetime.timedelta(days=2)
    )
    BillFactory(
        user=user, account=account, biller="Water Co", due_date=today - datetime.timedelta(days=1)
    )
    BillFactory(user=user, biller="Phone Ltd", due_date=today + datetime.timedelta(days=20))
    stranger = BillFactory(user=UserFactory(), biller="Not yours")

    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(page, live_server.url, email=user.email, password=TEST_PASSWORD)
        page.goto(f"{live_server.url}/bills/")
        row = page.locator(f"#bill-{power.pk}")
        # Money is formatted in the customer's locale by the page script.
        assert row.locator("[data-balance-of] [data-money]").inner_text() == "€1,000.00"
        check_page(page, "bills")

        with page.expect_navigation():
            row.get_by_role("button", name="Pay now City Power").click()
        # Written by the page script in the customer's locale (en-US here).
        assert "Its balance is now €940.00." in page.get_by_role("status").inner_text()
        paid_row = page.locator(f"#bill-{power.pk}")
        assert "Paid" in paid_row.inner_text()
        assert paid_row.locator("[data-balance-of] [data-money]").inner_text() == "€940.00"
        check_page(page, "bills-paid")
        assert BankAccount.objects.get(pk=account.pk).balance == Decimal("940.00")

        water = Bill.objects.get(biller="Water Co")
        with page.expect_navigation():
            page.get_by_role("button", name="Turn auto-pay on for Water Co").click()
        assert "Auto-pay for Water Co is on." in page.get_by_role("status").inner_text()
        water.refresh_from_db()
        assert water.autopay is True

        page.get_by_role("link", name="Add a bill").first.click()
        page.get_by_label("Biller").fill("Broadband")
        page.get_by_label("Amount due").fill("-5")
        page.get_by_label("Due date").fill((today + datetime.timedelta(days=9)).isoformat())
        page.get_by_role("button", name="Add the bill").click()
        assert "greater than or equal to 0.01" in page.locator("#id_amount_due_error").inner_text()
        check_page(page, "bill-form-error")
        assert not Bill.objects.filter(biller="Broadband").exists()
        page.get_by_label("Amount due").fill("29.99")
        with page.expect_navigation():
            page.get_by_role("button", name="Add the bill").click()
        assert "Broadband is added" in page.get_by_role("status").inner_text()

        phone = Bill.objects.get(biller="Phone Ltd")
        page.goto(f"{live_server.url}/bills/{phone.pk}/pay/")
        check_page(page, "bill-pay")
        page.goto(f"{live_server.url}/bills/{phone.pk}/edit/")
        page.get_by_role("link", name="Delete this bill").click()
        check_page(page, "bill-delete")
        with page.expect_navigation():
            page.get_by_role("button", name="Delete the bill").click()
        assert "Phone Ltd" in page.get_by_role("status").inner_text()
        assert not Bill.objects.filter(pk=phone.pk).exists()

        response = page.goto(f"{live_server.url}/bills/{stranger.pk}/edit/")
        assert response.status == 404
        response = page.goto(f"{live_server.url}/bills/{stranger.pk}/pay/")
        assert response.status == 404
        assert context.outside_requests == []

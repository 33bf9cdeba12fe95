"""The bank account pages in a real browser: list, add, detail chart, edit, archive, and
another customer's account is a 404. Every page passes axe at desktop and phone width."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import BankAccount
from accounts.selectors import balance_history
from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from smartbank.browser import browser_context, check_page, log_in
from transactions.tests.factories import TransactionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_accounts_pages_list_add_chart_edit_and_archive(live_server):
    customer = UserFactory(email="ann@example.com", time_zone="UTC", locale="en-GB")
    today = customer.today()
    everyday = BankAccountFactory(
        user=customer,
        name="Everyday",
        opening_balance=Decimal("800.00"),
        opening_date=today - datetime.timedelta(days=500),
    )
    for days_ago, amount in ((400, "-50.00"), (90, "1500.00"), (30, "-220.40"), (2, "-12.99")):
        TransactionFactory(
            account=everyday,
            amount=Decimal(amount),
            txn_date=today - datetime.timedelta(days=days_ago),
        )
    stranger = UserFactory(email="zed@example.com")
    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(
            page,
            live_server.url,
            email=customer.email,
            password=TEST_PASSWORD,
            next_path="/accounts/",
        )
        # Money is formatted in the customer's locale with its currency.
        assert page.locator("td.money").first.inner_text() == "€2,016.61"
        check_page(page, "accounts-list")

        page.get_by_role("link", name="Add an account").click()
        check_page(page, "accounts-add")
        page.get_by_label("Name").fill("Holiday")
        page.get_by_label("Type").select_option("savings")
        page.get_by_label("Currency").fill("usd")
        page.get_by_label("Opening balance").fill("abc")
        page.get_by_role("button", name="Add the account").click()
        assert page.locator("#id_opening_balance_error").inner_text() == "Enter a number."
        check_page(page, "accounts-add-error")
        page.get_by_label("Opening balance").fill("300")
        with page.expect_navigation():
            page.get_by_role("button", name="Add the account").click()
        holiday = BankAccount.objects.get(user=customer, name="Holiday")
        assert page.url == f"{live_server.url}/accounts/{holiday.pk}/"
        assert "Holiday is open." in page.content()

        page.goto(f"{live_server.url}/accounts/{everyday.pk}/")
        page.wait_for_function("() => Chart.getChart(document.getElementById('balance-chart'))")
        data = page.evaluate(
            "() => { const d = Chart.getChart(document.getElementById('balance-chart')).data;"
            " return {labels: d.labels, values: d.datasets[0].data}; }"
        )
        expected = balance_history(
            account=everyday, first_day=today - datetime.timedelta(days=365), last_day=today
        )
        assert data["labels"] == [point.day.isoformat() for point in expected]
        assert data["values"] == [float(point.balance) for point in expected]
        assert data["values"][-1] == 2016.61
        check_page(page, "accounts-detail")

        page.get_by_role("link", name="Edit").click()
        page.get_by_label("Name").fill("Main")
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        check_page(page, "accounts-edit-saved")
        page.get_by_role("link", name="Archive").click()
        check_page(page, "accounts-archive-confirm")
        with page.expect_navigation():
            page.get_by_role("button", name="Archive the account").click()
        everyday.refresh_from_db()
        assert (everyday.name, everyday.is_archived) == ("Main", True)
        page.goto(f"{live_server.url}/accounts/")
        assert "Main" not in page.locator("main table").inner_text()

        # A second customer opening the first one's account pages gets a 404 and changes nothing.
        context.clear_cookies()
        other = context.new_page()
        log_in(
            other,
            live_server.url,
            email=stranger.email,
            password=TEST_PASSWORD,
            next_path="/accounts/",
        )
        for path in ("", "edit/", "archive/"):
            response = other.goto(f"{live_server.url}/accounts/{everyday.pk}/{path}")
            assert response.status == 404
        other.goto(f"{live_server.url}/accounts/")
        assert "No accounts yet" in other.content()
        check_page(other, "accounts-list-empty")
        assert context.outside_requests == []
    everyday.refresh_from_db()
    assert everyday.is_archived and everyday.user == customer

"""The transaction pages in a real browser: filters and pages, a row's category through the
API, bulk change, add with an error beside the field, edit, delete, a transfer between two
currencies, and a second customer's 404s. Every page passes axe at desktop and phone width."""

import datetime
from decimal import Decimal

import pytest

from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from smartbank.browser import browser_context, check_page, log_in
from smartbank.testing import database_snapshot
from transactions.models import CategorySource, Transaction
from transactions.tests.factories import TransactionFactory, default_category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_transactions_pages(live_server):
    customer = UserFactory(email="ann@example.com", time_zone="UTC", locale="en-GB")
    today = customer.today()
    everyday = BankAccountFactory(
        user=customer,
        name="Everyday",
        opening_balance=Decimal("2000.00"),
        opening_date=today - datetime.timedelta(days=200),
    )
    dollars = BankAccountFactory(
        user=customer,
        name="Dollars",
        currency="USD",
        opening_balance=Decimal("10.00"),
        opening_date=today - datetime.timedelta(days=200),
    )
    default_category("dining")
    default_category("transport")
    for day in range(55):
        TransactionFactory(
            account=everyday,
            amount=Decimal("-3.10"),
            description=f"Coffee {day}",
            category=None,
            txn_date=today - datetime.timedelta(days=day),
        )
    TransactionFactory(
        account=everyday,
        amount=Decimal("1500.00"),
        description="Salary",
        category=None,
        txn_date=today - datetime.timedelta(days=3),
    )
    stranger = UserFactory(email="zed@example.com")
    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(
            page,
            live_server.url,
            email=customer.email,
            password=TEST_PASSWORD,
            next_path="/transactions/",
        )
        assert page.locator("tbody tr").count() == 50
        check_page(page, "transactions-list")

        # Filters, then the next page keeps them.
        page.get_by_label("Search").fill("coffee")
        page.get_by_label("Kind").select_option("expense")
        with page.expect_navigation():
            page.get_by_role("button", name="Filter").click()
        with page.expect_navigation():
            page.get_by_role("link", name="Next page").click()
        assert "q=coffee" in page.url and "kind=expense" in page.url and "page=2" in page.url
        assert page.locator("tbody tr").count() == 5
        assert page.get_by_label("Search").input_value() == "coffee"

        page.goto(f"{live_server.url}/transactions/?date_from=yesterday&amount_min=abc")
        assert page.locator("#id_date_from_error").inner_text() == "Enter a valid date."
        assert page.locator("#id_amount_min_error").inner_text() == "Enter a number."
        check_page(page, "transactions-list-bad-filter")

        # A row's category, by keyboard, through PUT /api/v1/transactions/{id}/category/.
        page.goto(f"{live_server.url}/transactions/?q=salary")
        salary = Transaction.objects.get(description="Salary")
        row = page.locator(f"#txn-{salary.pk}")
        assert row.locator("td.money").inner_text() == "€1,500.00"
        select = row.get_by_label(f"Category of Salary of {salary.txn_date.isoformat()}")
        select.select_option("transport")
        row.get_by_role("button", name="Save").focus()
        page.keyboard.press("Enter")
        page.get_by_role("status").filter(has_text="Saved").wait_for()
        salary.refresh_from_db()
        assert (salary.category.slug, salary.category_source) == (
            "transport",
            CategorySource.MANUAL,
        )

        # Bulk: tick two rows, choose a category.
        page.goto(f"{live_server.url}/transactions/?q=coffee")
        coffees = list(Transaction.objects.filter(description__in=["Coffee 0", "Coffee 1"]))
        for txn in coffees:
            page.get_by_label(f"Tick {txn.description} of {txn.txn_date.isoformat()}").check()
        page.get_by_label("New category for the ticked transactions").select_option("dining")
        with page.expect_navigation():
            page.get_by_role("button", name="Change the ticked rows").click()
        assert "2 transactions changed" in page.content()
        assert "q=coffee" in page.url
        assert Transaction.objects.filter(category__slug="dining").count() == 2
        # "Tick every row on this page" ticks the page's rows and only them.
        page.goto(f"{live_server.url}/transactions/?date_from={today - datetime.timedelta(days=2)}")
        page.get_by_label("Tick every row on this page").check()
        page.get_by_label("New category for the ticked transactions").select_option("transport")
        with page.expect_navigation():
            page.get_by_role("button", name="Change the ticked rows").click()
        assert "3 transactions changed" in page.content()
        assert Transaction.objects.filter(category__slug="transport").count() == 4
        assert Transaction.objects.filter(category=None).count() == 52

        # Add: an error beside the field writes nothing; then it is added.
        page.goto(f"{live_server.url}/transactions/new/?account={everyday.pk}")
        check_page(page, "transactions-add")
        before = database_snapshot()
        page.get_by_label("Amount").fill("abc")
        page.get_by_label("Description").fill("Train")
        page.get_by_role("button", name="Add the transaction").click()
        assert page.locator("#id_amount_error").inner_text() == "Enter a number."
        page.get_by_label("Amount").fill("99999")
        page.get_by_role("button", name="Add the transaction").click()
        assert "Insufficient funds" in page.locator("#id_amount_error").inner_text()
        check_page(page, "transactions-add-error")
        assert database_snapshot() == before
        page.get_by_label("Amount").fill("23.40")
        page.get_by_label("Category").select_option(label="Transport")
        with page.expect_navigation():
            page.get_by_role("button", name="Add the transaction").click()
        train = Transaction.objects.get(description="Train")
        assert (train.amount, train.category.slug) == (Decimal("-23.40"), "transport")

        # Edit, then delete after the confirm page.
        page.goto(f"{live_server.url}/transactions/{train.pk}/edit/")
        check_page(page, "transactions-edit")
        page.get_by_label("Amount").fill("25.00")
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        train.refresh_from_db()
        assert train.amount == Decimal("-25.00")
        page.goto(f"{live_server.url}/transactions/{train.pk}/delete/")
        check_page(page, "transactions-delete-confirm")
        with page.expect_navigation():
            page.get_by_role("button", name="Delete").click()
        assert not Transaction.objects.filter(pk=train.pk).exists()

        # A transfer between two currencies; the same account twice is refused beside "To".
        page.goto(f"{live_server.url}/transactions/transfer/")
        page.get_by_label("From").select_option(str(everyday.pk))
        page.get_by_label("To").select_option(str(everyday.pk))
        page.get_by_label("Amount sent").fill("100")
        page.get_by_role("button", name="Make the transfer").click()
        assert "Choose a different account" in page.locator("#id_to_account_error").inner_text()
        check_page(page, "transactions-transfer-error")
        page.get_by_label("To").select_option(str(dollars.pk))
        page.get_by_label("Amount received").fill("108.20")
        with page.expect_navigation():
            page.get_by_role("button", name="Make the transfer").click()
        dollars.refresh_from_db()
        assert dollars.balance == Decimal("118.20")
        check_page(page, "transactions-after-transfer")

        # A second customer: the first one's transaction and account URLs are 404s.
        context.clear_cookies()
        other = context.new_page()
        log_in(
            other,
            live_server.url,
            email=stranger.email,
            password=TEST_PASSWORD,
            next_path="/transactions/",
        )
        before = database_snapshot()
        for path in (
            f"/transactions/{salary.pk}/edit/",
            f"/transactions/{salary.pk}/delete/",
            f"/accounts/{everyday.pk}/",
            f"/accounts/{everyday.pk}/edit/",
        ):
            assert other.goto(f"{live_server.url}{path}").status == 404, path
        other.goto(f"{live_server.url}/transactions/?account={everyday.pk}")
        assert other.locator("#id_account_error").inner_text() == "Account not found."
        other.goto(f"{live_server.url}/transactions/")
        assert "No transactions yet" in other.content()
        check_page(other, "transactions-list-empty")
        assert database_snapshot() == before
        assert context.outside_requests == []

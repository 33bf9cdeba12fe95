"""A file of two accounts, a statement that disagrees and a transfer between two banks'
statements, by hand in a real browser (Celery eager: each import has run when its page
opens)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connections

from accounts.models import BankAccount
from accounts.tests.factories import TEST_PASSWORD, BankAccountFactory, UserFactory
from smartbank.browser import browser_context, check_page, log_in
from transactions.models import ImportBatch, Transaction
from transactions.services import ledger_differences

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TWO_ACCOUNTS = (
    b"Date;Account number;Description;Amount\n"
    b"01.03.2025;DE89370400440532011111;Bakery;-4,20\n"
    b"02.03.2025;DE89370400440532012222;Salary;2.500,00\n"
    b"03.03.2025;DE89370400440532012222;Rent;-900,00\n"
    b"Closing balance 31.03.2025;;2.600,00\n"
)
# Each bank's statement holds one leg of the same transfer.
EVERYDAY_STATEMENT = b"Date;Description;Amount\n10.04.2025;To my savings;-250,00\n"
SAVINGS_STATEMENT = b"Date;Description;Amount\n11.04.2025;From my current account;250,00\n"


def read_and_review(page, live_server_url: str, account: BankAccount, name: str, content: bytes):
    page.goto(f"{live_server_url}/transactions/import/")
    page.get_by_label("Account").select_option(str(account.pk))
    page.get_by_label("Statement file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Read the file").click()


def test_accounts_of_a_file_a_statement_balance_and_a_transfer_by_hand(live_server):
    user = UserFactory()
    everyday = BankAccountFactory(
        user=user,
        name="Everyday",
        number_last4="1111",
        opening_balance=Decimal("1000.00"),
        opening_date=datetime.date(2020, 1, 1),
    )
    savings = BankAccountFactory(
        user=user,
        name="Savings",
        number_last4="9999",
        opening_balance=Decimal("0.00"),
        opening_date=datetime.date(2020, 1, 1),
    )
    with browser_context(live_server.url) as context:
        try:
            page = context.new_page()
            log_in(
                page,
                live_server.url,
                email=user.email,
                password=TEST_PASSWORD,
                next_path="/transactions/import/",
            )
            read_and_review(page, live_server.url, everyday, "two.csv", TWO_ACCOUNTS)
            other = page.get_by_label("Account DE89370400440532012222 goes to")
            assert other.input_value() == ""
            assert page.get_by_label("Account DE89370400440532011111 goes to").input_value() == str(
                everyday.pk
            )
            check_page(page, "import-accounts")
            other.select_option(str(savings.pk))
            with page.expect_navigation():
                page.get_by_role("button", name="Preview again").click()
            assert page.get_by_label("Account DE89370400440532012222 goes to").input_value() == (
                str(savings.pk)
            )
            with page.expect_navigation():
                page.get_by_role("button", name="Import 3 rows").click()
            assert page.locator('[data-count="created"]').inner_text() == "3"
            savings.refresh_from_db()
            assert savings.balance == Decimal("1600.00")

            # A one-account statement that closes 4.20 above what Everyday holds.
            statement = b"Date;Description;Amount\n05.03.2025;Coffee;-4,20\n"
            statement += b"Closing balance 31.03.2025;;995,80\n"
            read_and_review(page, live_server.url, everyday, "march.csv", statement)
            with page.expect_navigation():
                page.get_by_role("button", name="Import 1 row").click()
            checks = page.locator("#balance-checks")
            assert "a difference of" in checks.inner_text()
            check_page(page, "import-balance")
            with page.expect_navigation():
                page.get_by_role("button", name="Make Everyday agree").click()
            assert (
                "Everyday now agrees with the statement" in page.locator(".messages").inner_text()
            )
            everyday.refresh_from_db()
            assert everyday.balance == Decimal("995.80")
            assert "they agree" in page.locator("#balance-checks").inner_text()

            # One leg in each bank's statement: the second import offers them as a transfer.
            read_and_review(page, live_server.url, everyday, "april.csv", EVERYDAY_STATEMENT)
            with page.expect_navigation():
                page.get_by_role("button", name="Import 1 row").click()
            read_and_review(page, live_server.url, savings, "savings.csv", SAVINGS_STATEMENT)
            with page.expect_navigation():
                page.get_by_role("button", name="Import 1 row").click()
            pair = page.locator("#offered-transfers li")
            assert pair.count() == 1
            assert "To my savings" in pair.inner_text() and "From my current" in pair.inner_text()
            check_page(page, "import-transfers")
            balances = dict(BankAccount.objects.values_list("pk", "balance"))
            with page.expect_navigation():
                page.get_by_role("button", name="Link as a transfer").click()
            assert "now one transfer" in page.locator(".messages").inner_text()
            assert page.locator("#offered-transfers").count() == 0
            assert Transaction.objects.filter(kind="transfer").count() == 2
            assert dict(BankAccount.objects.values_list("pk", "balance")) == balances
            assert ledger_differences() == []
            assert ImportBatch.objects.filter(status="done").count() == 4
            assert context.outside_requests == []
        finally:
            connections.close_all()

"""The currency page in a real browser: balances in the base currency with a missing rate
stated, rates of another day, a conversion, a bad amount and a missing rate beside the
form. Every state passes axe at desktop and phone width."""

import datetime
from decimal import Decimal

import pytest

from accounts.tests.factories import (
    TEST_PASSWORD,
    BankAccountFactory,
    ExchangeRateFactory,
    UserFactory,
)
from smartbank.browser import browser_context, check_page, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_currency_page_balances_rates_and_convert(live_server):
    customer = UserFactory(email="cora@example.com", time_zone="UTC", locale="en-GB")
    today = customer.today()
    yesterday = today - datetime.timedelta(days=1)
    for quote, value in (("USD", "1.25"), ("GBP", "0.80")):
        ExchangeRateFactory(base="EUR", quote=quote, day=yesterday, rate=Decimal(value))
    for name, currency, balance in (
        ("Everyday", "EUR", "100.00"),
        ("Dollars", "USD", "125.00"),
        ("Yen", "JPY", "5000.00"),
    ):
        BankAccountFactory(
            user=customer,
            name=name,
            currency=currency,
            opening_balance=Decimal(balance),
            balance=Decimal(balance),
        )
    with browser_context(live_server.url) as context:
        page = context.new_page()
        log_in(
            page,
            live_server.url,
            email=customer.email,
            password=TEST_PASSWORD,
            next_path="/accounts/",
        )
        with page.expect_navigation():
            page.get_by_role("link", name="Currencies and exchange rates").click()
        assert page.url == f"{live_server.url}/accounts/currency/"
        # 100 EUR + 125 USD at 1.25; the yen account has no rate and is named.
        total = page.locator("tfoot [data-money]")
        assert total.inner_text() == "€200.00"
        assert "No exchange rate for JPY->EUR" in page.locator("#missing-rates").inner_text()
        assert page.locator("#rates tbody tr").count() == 2
        check_page(page, "currency")

        page.get_by_label("Base currency").fill("usd")
        with page.expect_navigation():
            page.get_by_role("button", name="Show rates").click()
        assert "What 1 USD buys" in page.locator("#rates caption").inner_text()
        assert "0.8 EUR" in page.locator("#rates").inner_text()

        page.get_by_label("Amount", exact=True).fill("1.234")
        page.get_by_label("From").fill("EUR")
        page.get_by_label("To").fill("USD")
        with page.expect_navigation():
            page.get_by_role("button", name="Convert").click()
        assert "no more than 2 decimal places" in page.locator("#convert_amount_error").inner_text()
        check_page(page, "currency-convert-error")

        page.get_by_label("Amount", exact=True).fill("100")
        with page.expect_navigation():
            page.get_by_role("button", name="Convert").click()
        result = page.locator("#conversion").inner_text()
        assert result.startswith("€100.00 is US$125.00"), result
        check_page(page, "currency-converted")

        page.get_by_label("To").fill("JPY")
        with page.expect_navigation():
            page.get_by_role("button", name="Convert").click()
        assert "No exchange rate for EUR->JPY" in page.get_by_role("alert").inner_text()
        check_page(page, "currency-missing-rate")
        assert context.outside_requests == []

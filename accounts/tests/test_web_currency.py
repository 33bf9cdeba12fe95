"""The currency page (Django test client): balances in the base currency, the rates of a
day and the converter, with the API's answers and rules (/api/v1/currency/)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import ExchangeRate
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory
from conftest import client_for
from smartbank.testing import database_snapshot

PAGE = reverse("accounts-web:currency")
D = Decimal
THU = datetime.date(2025, 3, 27)
FRI = datetime.date(2025, 3, 28)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_now():
    """Sunday 30 March 2025, 12:00 UTC: the customer's (London) today is that Sunday."""
    with time_machine.travel(
        datetime.datetime(2025, 3, 30, 12, 0, tzinfo=datetime.UTC), tick=False
    ):
        yield


def rate(base, quote, day, value):
    return ExchangeRateFactory(base=base, quote=quote, day=day, rate=D(value))


@pytest.fixture
def rates():
    """1 EUR = 1.25 USD = 0.80 GBP on Friday; Thursday's differ."""
    rate("EUR", "USD", THU, "1.20")
    rate("EUR", "GBP", THU, "0.75")
    rate("EUR", "USD", FRI, "1.25")
    rate("EUR", "GBP", FRI, "0.80")


def account(user, currency, balance, **kwargs):
    return BankAccountFactory(
        user=user, currency=currency, opening_balance=D(balance), balance=D(balance), **kwargs
    )


def money(amount, currency) -> str:
    return f'<span data-money="{amount}" data-currency="{currency}">{amount} {currency}</span>'


def api(user, method, path, data=None):
    return getattr(client_for(user), method)(f"/api/v1/currency/{path}", data or {})


# --- Balances ---------------------------------------------------------------------------


def test_balances_in_the_base_currency_are_the_apis(web, user, rates):
    account(user, "EUR", "100.00", name="Everyday")
    account(user, "USD", "125.00", name="Dollars")
    account(user, "GBP", "-40.00", name="Card")
    response = web.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    summary = api(user, "get", "summary/").json()
    assert summary["total"] == "150.00" and summary["total_complete"] is True
    assert f"<strong>{money('150.00', 'EUR')}</strong>" in html
    for item in summary["accounts"]:
        assert money(item["balance_in_base"], "EUR") in html
    assert money("125.00", "USD") in html
    assert "Your balances in EUR" in html
    assert "Some balances have no exchange rate" not in html
    # More than one currency: the totals per currency too.
    assert "By currency" in html


def test_a_missing_rate_is_stated_plainly_and_left_out_of_the_total(web, user, rates):
    account(user, "EUR", "100.00", name="Everyday")
    account(user, "JPY", "5000.00", name="Yen")
    html = web.get(PAGE).content.decode()
    assert "Some balances have no exchange rate, so the total below leaves them out" in html
    assert "No exchange rate for JPY-&gt;EUR on or before 2025-03-30." in html
    assert "Total of those with a rate" in html
    assert f"<strong>{money('100.00', 'EUR')}</strong>" in html
    assert '<span class="error">No rate</span>' in html


def test_no_accounts_says_what_to_do(web):
    html = web.get(PAGE).content.decode()
    assert f'<a href="{reverse("accounts-web:create")}">Add an account</a> in any currency' in html


def test_the_accounts_list_links_here(web):
    assert f'href="{PAGE}"' in web.get(reverse("accounts-web:list")).content.decode()


# --- Rates ------------------------------------------------------------------------------


def test_rates_default_to_the_base_currency_and_today(web, user, rates):
    response = web.get(PAGE)
    rows = [(q.currency, text, q.day) for q, text in response.context["rate_rows"]]
    expected = api(user, "get", "rates/").json()
    assert [(r["currency"], r["rate"], r["day"]) for r in expected["rates"]] == [
        (currency, text, day.isoformat()) for currency, text, day in rows
    ]
    assert rows == [("GBP", "0.8", FRI), ("USD", "1.25", FRI)]
    html = response.content.decode()
    assert "What 1 EUR buys on" in html
    assert 'value="EUR"' in html and 'value="2025-03-30"' in html
    # The known currencies are offered in every code field.
    assert '<datalist id="currency-codes"><option value="EUR"></option>' in html


def test_rates_of_another_day_and_base(web, user, rates):
    response = web.get(PAGE, {"base": "usd", "date": "2025-03-27"})
    assert response.status_code == 200
    rows = {q.currency: text for q, text in response.context["rate_rows"]}
    expected = api(user, "get", "rates/", {"base": "usd", "date": "2025-03-27"}).json()
    assert rows == {r["currency"]: r["rate"] for r in expected["rates"]}
    assert rows["EUR"] == "0.8333333333333333333333333333"
    assert "What 1 USD buys on" in response.content.decode()


def test_a_currency_without_a_rate_says_so(web, rates):
    rate("USD", "JPY", FRI, "150")
    response = web.get(PAGE, {"date": "2025-03-27"})
    html = response.content.decode()
    assert dict((q.currency, text) for q, text in response.context["rate_rows"])["JPY"] is None
    assert "No rate known" in html


def test_no_rates_at_all_says_when_they_come(web):
    assert "No exchange rates are known yet." in web.get(PAGE).content.decode()


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"base": "ZZZ"}, "base", "ZZZ is not an ISO 4217 currency code."),
        ({"base": "x" * 10_000}, "base", "is not an ISO 4217 currency code."),
        ({"date": "2025-13-01"}, "date", "Date has wrong format"),
        ({"date": "1998-12-31"}, "date", "Exchange rates start in 1999"),
        ({"date": "2025-03-31"}, "date", "The date cannot be in the future"),
    ],
)
def test_a_bad_rates_query_is_a_400_beside_the_field(web, user, rates, query, field, message):
    response = web.get(PAGE, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="error" id="rates_{field}_error">' in html
    assert message in html
    # The same words as the API's 400.
    assert any(message in text for text in api(user, "get", "rates/", query).json()[field])
    # The rates shown are the defaults', and say so.
    assert response.context["rates"].base == "EUR"


# --- Convert ----------------------------------------------------------------------------


def test_convert_gives_the_apis_answer(web, user, rates):
    data = {"amount": "100.00", "from_currency": "usd", "to_currency": "GBP", "date": ""}
    before = database_snapshot()
    response = web.post(PAGE, data)
    assert response.status_code == 200
    assert database_snapshot() == before
    expected = api(user, "post", "convert/", {**data, "date": "2025-03-30"}).json()
    conversion = response.context["conversion"]
    assert str(conversion.converted_amount) == expected["converted_amount"] == "64.00"
    assert response.context["conversion_rate"] == expected["rate"]
    html = response.content.decode()
    assert f"{money('100.00', 'USD')} is {money('64.00', 'GBP')}</strong>" in html
    assert "at 1 USD = 0.64 GBP, the rate of" in html


def test_convert_on_an_earlier_day(web, rates):
    response = web.post(
        PAGE, {"amount": "10", "from_currency": "EUR", "to_currency": "USD", "date": "2025-03-27"}
    )
    assert response.status_code == 200
    assert response.context["conversion"].converted_amount == D("12.00")
    assert 'data-day="2025-03-27"' in response.content.decode()


def test_a_missing_rate_is_a_409_above_the_form(web, user, rates):
    data = {"amount": "10.00", "from_currency": "EUR", "to_currency": "JPY"}
    before = database_snapshot()
    response = web.post(PAGE, data)
    assert response.status_code == 409
    assert database_snapshot() == before
    assert api(user, "post", "convert/", data).status_code == 409
    html = response.content.decode()
    assert (
        '<div class="form-errors" role="alert"><p>No exchange rate for EUR-&gt;JPY on or ' in html
    )
    assert "Try another date" in html
    assert response.context["conversion"] is None


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"amount": ""}, "amount", "This field is required."),
        ({"amount": "   "}, "amount", "This field is required."),
        ({"amount": "abc"}, "amount", "A valid number is required."),
        ({"amount": "-1"}, "amount", "The amount cannot be negative."),
        ({"amount": "1.234"}, "amount", "no more than 2 decimal places"),
        ({"amount": "1" * 20}, "amount", "no more than 14 digits"),
        ({"amount": "9" * 10_000}, "amount", "String value too large."),
        ({"from_currency": ""}, "from_currency", "This field is required."),
        ({"from_currency": "EURO"}, "from_currency", "EURO is not an ISO 4217 currency code."),
        ({"to_currency": "x" * 10_000}, "to_currency", "is not an ISO 4217 currency code."),
        ({"date": "yesterday"}, "date", "Date has wrong format"),
        ({"date": "2025-03-31"}, "date", "The date cannot be in the future"),
        ({"date": "1990-01-01"}, "date", "Exchange rates start in 1999"),
    ],
)
def test_bad_input_is_a_400_beside_the_field(web, user, rates, data, field, message):
    posted = {"amount": "10.00", "from_currency": "EUR", "to_currency": "USD", **data}
    before = database_snapshot()
    response = web.post(PAGE, posted)
    assert response.status_code == 400
    assert database_snapshot() == before
    html = response.content.decode()
    assert f'<p class="error" id="convert_{field}_error">' in html
    assert message in html
    assert response.context["conversion"] is None
    # The same rule, and the same words, as the API's 400 (the page strips blanks first).
    answer = api(user, "post", "convert/", {k: v.strip() for k, v in posted.items() if v.strip()})
    assert answer.status_code == 400
    assert any(message in text for text in answer.json()[field])


# --- Access, methods and queries ----------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    for method in ("get", "post"):
        response = getattr(client, method)(PAGE)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_another_customers_accounts_are_never_shown(web, user, other_user, rates):
    account(other_user, "USD", "999.00", name="Not yours")
    account(user, "EUR", "10.00", name="Mine")
    response = web.get(PAGE)
    html = response.content.decode()
    assert "Not yours" not in html and "999.00" not in html
    assert [item.account.name for item, _ in response.context["account_rows"]] == ["Mine"]


def test_convert_needs_csrf_and_only_get_and_post_are_allowed(web, user, rates):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    data = {"amount": "1", "from_currency": "EUR", "to_currency": "USD"}
    assert client.post(PAGE, data).status_code == 403
    for method in ("put", "patch", "delete"):
        assert getattr(web, method)(PAGE).status_code == 405


def test_the_page_runs_a_fixed_number_of_queries(web, user, rates, django_assert_num_queries):
    account(user, "EUR", "10.00")
    account(user, "USD", "10.00")
    # Session, user; rates of the day (two); accounts; their rate book (two).
    with django_assert_num_queries(7):
        web.get(PAGE)
    for index in range(10):
        account(user, ("EUR", "USD", "GBP")[index % 3], "1.00")
    rate("EUR", "JPY", FRI, "160")
    with django_assert_num_queries(7):
        response = web.get(PAGE)
    assert len(response.context["account_rows"]) == 12
    assert len(response.context["rate_rows"]) == 3


def test_a_conversion_adds_only_its_rate_book(web, user, rates, django_assert_num_queries):
    account(user, "USD", "10.00")
    data = {"amount": "1", "from_currency": "EUR", "to_currency": "USD"}
    with django_assert_num_queries(9):
        assert web.post(PAGE, data).status_code == 200


def test_only_the_base_currency_needs_no_rate_book(web, user, rates, django_assert_num_queries):
    account(user, "EUR", "10.00")
    # Session, user; rates of the day (two); accounts.
    with django_assert_num_queries(5):
        web.get(PAGE)


def test_rates_stay_as_stored(web, rates):
    before = list(ExchangeRate.objects.values_list("base", "quote", "day", "rate"))
    web.get(PAGE, {"base": "GBP"})
    web.post(PAGE, {"amount": "1", "from_currency": "GBP", "to_currency": "USD"})
    assert list(ExchangeRate.objects.values_list("base", "quote", "day", "rate")) == before

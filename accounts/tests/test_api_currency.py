"""/api/v1/currency/: rates on a day, balances in the base currency, converting an amount."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import BankAccount, ExchangeRate
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory
from conftest import client_for
from smartbank.testing import database_snapshot

RATES = "/api/v1/currency/rates/"
SUMMARY = "/api/v1/currency/summary/"
CONVERT = "/api/v1/currency/convert/"

D = Decimal
pytestmark = pytest.mark.django_db

THU = datetime.date(2025, 3, 27)
FRI = datetime.date(2025, 3, 28)


@pytest.fixture(autouse=True)
def _frozen_now():
    """Sunday 30 March 2025, 22:30 UTC: 23:30 on Sunday in London (summer time since the
    morning), already Monday 31 March in Tokyo."""
    with time_machine.travel(
        datetime.datetime(2025, 3, 30, 22, 30, tzinfo=datetime.UTC), tick=False
    ):
        yield


def rate(base, quote, day, value, source=ExchangeRate.Source.ECB):
    return ExchangeRateFactory(base=base, quote=quote, day=day, rate=D(value), source=source)


@pytest.fixture
def rates():
    """1 EUR = 1.25 USD = 0.80 GBP on Friday; Thursday's differ; Monday's (in the future for
    London, today in Tokyo) is 2.00 USD."""
    rate("EUR", "USD", THU, "1.20")
    rate("EUR", "GBP", THU, "0.75")
    rate("EUR", "USD", FRI, "1.25")
    rate("EUR", "GBP", FRI, "0.80")
    rate("EUR", "USD", datetime.date(2025, 3, 31), "2.00")


def account(user, currency, balance, **kwargs):
    return BankAccountFactory(
        user=user, currency=currency, opening_balance=D(balance), balance=D(balance), **kwargs
    )


def test_anonymous_calls_are_401(anon_client):
    before = database_snapshot()
    for method, url in (("get", RATES), ("get", SUMMARY), ("post", CONVERT)):
        response = getattr(anon_client, method)(url, {"amount": "1.00"})
        assert response.status_code == 401, url
    assert database_snapshot() == before


# --- rates/ ---------------------------------------------------------------------------


def test_rates_default_to_the_base_currency_and_today(api_client, rates):
    response = api_client.get(RATES)

    assert response.status_code == 200
    assert response.json() == {
        "base": "EUR",
        "date": "2025-03-30",
        "rates": [
            {"currency": "GBP", "rate": "0.8", "day": "2025-03-28"},
            {"currency": "USD", "rate": "1.25", "day": "2025-03-28"},
        ],
        "currencies": ["EUR", "GBP", "USD"],
    }


def test_today_is_the_customers_own(rates):
    tokyo = client_for(UserFactory(time_zone="Asia/Tokyo"))

    response = tokyo.get(RATES, {"quotes": "USD"})

    assert response.json()["date"] == "2025-03-31"
    assert response.json()["rates"] == [{"currency": "USD", "rate": "2", "day": "2025-03-31"}]


def test_rates_for_another_base_day_and_quotes(api_client, rates):
    response = api_client.get(RATES, {"base": "usd", "date": "2025-03-27", "quotes": "gbp, EUR"})

    assert response.status_code == 200
    body = response.json()
    assert body["base"] == "USD"
    assert body["date"] == "2025-03-27"
    assert body["rates"] == [
        {"currency": "GBP", "rate": "0.625", "day": "2025-03-27"},  # 0.75 / 1.20
        {"currency": "EUR", "rate": "0.8333333333333333333333333333", "day": "2025-03-27"},
    ]


def test_a_currency_with_no_rate_that_day_is_null(api_client, rates):
    response = api_client.get(RATES, {"date": "2025-03-01", "quotes": "USD,EUR"})

    assert response.json()["rates"] == [
        {"currency": "USD", "rate": None, "day": None},
        {"currency": "EUR", "rate": "1", "day": None},
    ]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"base": "EURO"}, "base", "EURO is not an ISO 4217 currency code."),
        ({"base": "XXX"}, "base", "XXX is not an ISO 4217 currency code."),
        ({"quotes": "USD,ABC"}, "quotes", "ABC is not an ISO 4217 currency code."),
        ({"quotes": ","}, "quotes", "Give currency codes separated by commas, e.g. USD,GBP."),
        ({"quotes": ",".join(["USD"] * 201)}, "quotes", "At most 200 currencies."),
        ({"date": "2025-02-30"}, "date", None),
        ({"date": "30/03/2025"}, "date", None),
        ({"date": "1998-12-31"}, "date", "Exchange rates start in 1999"),
        ({"date": "2025-03-31"}, "date", "The date cannot be in the future"),
    ],
)
def test_bad_rate_queries_are_400s_naming_the_parameter(api_client, rates, query, field, message):
    response = api_client.get(RATES, query)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field][0].startswith(message)


def test_rates_take_a_fixed_number_of_queries(api_client, rates, django_assert_num_queries):
    for day in range(1, 20):
        for quote in ("CHF", "JPY", "SEK"):
            rate("EUR", quote, datetime.date(2025, 3, day), f"{day}.5")

    # user (JWT), the pairs' latest days, those rows
    with django_assert_num_queries(3):
        response = api_client.get(RATES)

    assert len(response.json()["rates"]) == 5


# --- summary/ -------------------------------------------------------------------------


def test_summary_in_the_base_currency(api_client, user, other_user, rates):
    euros = account(user, "EUR", "1000.00", name="A euros")
    dollars = account(user, "USD", "250.00", name="B dollars")
    card = account(user, "GBP", "-80.01", name="C card", account_type=BankAccount.Type.CREDIT_CARD)
    account(user, "USD", "999.00", name="D archived", is_archived=True)
    account(other_user, "EUR", "5000.00", name="Not yours")

    response = api_client.get(SUMMARY)

    assert response.status_code == 200
    assert response.json() == {
        "currency": "EUR",
        "date": "2025-03-30",
        "count": 3,
        "accounts": [
            {
                "id": euros.pk,
                "name": "A euros",
                "account_type": "checking",
                "currency": "EUR",
                "balance": "1000.00",
                "rate": "1",
                "balance_in_base": "1000.00",
            },
            {
                "id": dollars.pk,
                "name": "B dollars",
                "account_type": "checking",
                "currency": "USD",
                "balance": "250.00",
                "rate": "0.8",
                "balance_in_base": "200.00",
            },
            {
                "id": card.pk,
                "name": "C card",
                "account_type": "credit_card",
                "currency": "GBP",
                "balance": "-80.01",
                "rate": "1.25",
                "balance_in_base": "-100.01",
            },
        ],
        "currencies": [
            {
                "currency": "EUR",
                "count": 1,
                "balance": "1000.00",
                "rate": "1",
                "balance_in_base": "1000.00",
            },
            {
                "currency": "GBP",
                "count": 1,
                "balance": "-80.01",
                "rate": "1.25",
                "balance_in_base": "-100.01",
            },
            {
                "currency": "USD",
                "count": 1,
                "balance": "250.00",
                "rate": "0.8",
                "balance_in_base": "200.00",
            },
        ],
        "total": "1099.99",
        "total_complete": True,
        "missing_rates": [],
    }


def test_summary_with_a_missing_rate_is_partial_and_says_so(api_client, user, rates):
    account(user, "EUR", "10.00", name="A")
    account(user, "SEK", "100.00", name="B")

    response = api_client.get(SUMMARY)

    assert response.status_code == 200
    body = response.json()
    assert body["accounts"][1]["balance_in_base"] is None
    assert body["accounts"][1]["rate"] is None
    assert body["total"] == "10.00"
    assert body["total_complete"] is False
    assert body["missing_rates"] == [
        {
            "base": "SEK",
            "quote": "EUR",
            "day": "2025-03-30",
            "detail": "No exchange rate for SEK->EUR on or before 2025-03-30.",
        }
    ]


def test_summary_in_a_base_currency_other_than_the_euro(rates):
    user = UserFactory(base_currency="GBP")
    account(user, "USD", "100.00")

    body = client_for(user).get(SUMMARY).json()

    assert body["currency"] == "GBP"
    assert body["accounts"][0]["rate"] == "0.64"
    assert body["total"] == "64.00"


@pytest.mark.parametrize("size", [1, 10])
def test_summary_takes_a_fixed_number_of_queries(
    api_client, user, rates, django_assert_num_queries, size
):
    for _ in range(size):
        account(user, "EUR", "1.00")
    with django_assert_num_queries(2):  # user (JWT), accounts
        api_client.get(SUMMARY)

    for currency in ("USD", "GBP") * size:
        account(user, currency, "1.00")
    with django_assert_num_queries(4):  # user (JWT), accounts, the rate book (two)
        response = api_client.get(SUMMARY)
    assert response.json()["count"] == 3 * size


# --- convert/ -------------------------------------------------------------------------


def test_convert_at_todays_rate(api_client, rates):
    response = api_client.post(
        CONVERT, {"amount": "100.00", "from_currency": "usd", "to_currency": "GBP"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "amount": "100.00",
        "from_currency": "USD",
        "to_currency": "GBP",
        "date": "2025-03-30",
        "rate": "0.64",
        "converted_amount": "64.00",
    }


def test_convert_on_a_given_day_rounds_once_half_to_even(api_client, rates):
    response = api_client.post(
        CONVERT,
        {"amount": "0.30", "from_currency": "EUR", "to_currency": "GBP", "date": "2025-03-27"},
    )

    # 0.30 * 0.75 = 0.225 -> 0.22 (half to even)
    assert response.json()["rate"] == "0.75"
    assert response.json()["converted_amount"] == "0.22"


def test_convert_a_large_amount_into_a_weaker_currency(api_client, rates):
    rate("EUR", "JPY", FRI, "160")

    response = api_client.post(
        CONVERT, {"amount": "999999999999.99", "from_currency": "EUR", "to_currency": "JPY"}
    )

    assert response.status_code == 200
    assert response.json()["converted_amount"] == "159999999999998.40"


def test_convert_into_the_same_currency(api_client):
    response = api_client.post(
        CONVERT, {"amount": "12.34", "from_currency": "EUR", "to_currency": "EUR"}
    )

    assert response.json()["rate"] == "1"
    assert response.json()["converted_amount"] == "12.34"


def test_convert_with_a_missing_rate_is_a_409_naming_the_pair_and_day(api_client, rates):
    before = database_snapshot()

    response = api_client.post(
        CONVERT,
        {"amount": "1.00", "from_currency": "EUR", "to_currency": "USD", "date": "2025-01-02"},
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "No exchange rate for EUR->USD on or before 2025-01-02."}
    assert database_snapshot() == before


VALID = {"amount": "10.00", "from_currency": "EUR", "to_currency": "USD"}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "-1.00"}, "amount", "The amount cannot be negative."),
        ({"amount": "1000000000000.00"}, "amount", None),
        ({"amount": "NaN"}, "amount", None),
        ({"amount": "Infinity"}, "amount", None),
        ({"amount": "1.005"}, "amount", None),
        ({"amount": "ten"}, "amount", None),
        ({"amount": None}, "amount", None),
        ({"amount": ["1.00"]}, "amount", None),
        ({"from_currency": "EURO"}, "from_currency", "EURO is not an ISO 4217 currency code."),
        ({"to_currency": "ABC"}, "to_currency", "ABC is not an ISO 4217 currency code."),
        ({"to_currency": ""}, "to_currency", None),
        ({"to_currency": 12}, "to_currency", None),
        ({"date": "2025-13-01"}, "date", None),
        ({"date": "yesterday"}, "date", None),
        ({"date": "1998-12-31"}, "date", "Exchange rates start in 1999"),
        ({"date": "2025-03-31"}, "date", "The date cannot be in the future"),
    ],
)
def test_bad_conversions_are_400s_on_the_field_and_change_nothing(
    api_client, rates, overrides, field, message
):
    before = database_snapshot()

    response = api_client.post(CONVERT, {**VALID, **overrides})

    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field][0].startswith(message)
    assert database_snapshot() == before


def test_missing_fields_are_named(api_client):
    response = api_client.post(CONVERT, {})

    assert response.status_code == 400
    assert set(response.json()) == {"amount", "from_currency", "to_currency"}


def test_convert_takes_a_fixed_number_of_queries(api_client, rates, django_assert_num_queries):
    with django_assert_num_queries(3):  # user (JWT), the rate book (two)
        response = api_client.post(CONVERT, {**VALID, "to_currency": "GBP"})
    assert response.status_code == 200

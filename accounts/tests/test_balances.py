"""accounts.balances: balances in the base currency at today's rate, and rates on a day."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.balances import MissingRate, balances_in, balances_in_base, rates_on
from accounts.currency import MissingRateError
from accounts.currency import rate as convert_rate
from accounts.models import BankAccount, ExchangeRate
from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory

D = Decimal
pytestmark = pytest.mark.django_db

FRI = datetime.date(2025, 3, 28)
SAT = datetime.date(2025, 3, 29)
MON = datetime.date(2025, 3, 31)


@pytest.fixture(autouse=True)
def _frozen_today():
    """Saturday 29 March 2025, midday in London (the factories' users' zone)."""
    with time_machine.travel(datetime.datetime(2025, 3, 29, 12, tzinfo=datetime.UTC), tick=False):
        yield


def rate(base, quote, day, value, source=ExchangeRate.Source.ECB):
    return ExchangeRateFactory(base=base, quote=quote, day=day, rate=D(value), source=source)


@pytest.fixture
def rates():
    """Friday's ECB rates: 1 EUR = 1.25 USD = 0.80 GBP. A later row must never be used."""
    rate("EUR", "USD", FRI, "1.25")
    rate("EUR", "GBP", FRI, "0.80")
    rate("EUR", "USD", MON, "2.00")


def account(user, currency, balance, **kwargs):
    return BankAccountFactory(
        user=user, currency=currency, opening_balance=D(balance), balance=D(balance), **kwargs
    )


def test_each_account_and_the_total_in_the_base_currency(user, other_user, rates):
    euros = account(user, "EUR", "1000.00", name="A euros")
    dollars = account(user, "USD", "250.00", name="B dollars", account_type="savings")
    card = account(user, "USD", "-50.00", name="C card", account_type=BankAccount.Type.CREDIT_CARD)
    pounds = account(user, "GBP", "80.01", name="D pounds")
    account(user, "EUR", "999.00", name="E archived", is_archived=True)
    account(other_user, "EUR", "5000.00")

    balances = balances_in_base(user=user)

    assert balances.currency == "EUR"
    assert balances.day == SAT
    assert [(b.account, b.rate, b.balance_in_base) for b in balances.accounts] == [
        (euros, D(1), D("1000.00")),
        (dollars, D("0.8"), D("200.00")),
        (card, D("0.8"), D("-40.00")),  # a liability lowers the total, as stored
        (pounds, D("1.25"), D("100.01")),  # 100.0125, to the cent
    ]
    assert [(c.currency, c.count, c.balance, c.balance_in_base) for c in balances.currencies] == [
        ("EUR", 1, D("1000.00"), D("1000.00")),
        ("GBP", 1, D("80.01"), D("100.01")),
        ("USD", 2, D("200.00"), D("160.00")),
    ]
    assert balances.total == D("1260.01")
    assert balances.count == 4
    assert balances.complete is True
    assert balances.missing_rates == []
    assert balances.raise_if_incomplete() is balances


def test_the_total_is_rounded_once_from_the_exact_sum(user, rates):
    # Each 0.02 GBP is 0.025 EUR, 0.02 to the cent; both together are 0.05, not 0.04.
    account(user, "GBP", "0.02")
    account(user, "GBP", "0.02")

    balances = balances_in_base(user=user)

    assert [b.balance_in_base for b in balances.accounts] == [D("0.02"), D("0.02")]
    assert balances.currencies[0].balance_in_base == D("0.05")
    assert balances.total == D("0.05")


def test_a_missing_rate_leaves_that_currency_out_and_says_so(user, rates):
    account(user, "EUR", "10.00", name="A")
    yen = account(user, "JPY", "1000.00", name="B")

    balances = balances_in_base(user=user)

    assert balances.accounts[1].account == yen
    assert balances.accounts[1].rate is None
    assert balances.accounts[1].balance_in_base is None
    assert balances.total == D("10.00")
    assert balances.complete is False
    assert balances.missing_rates == [MissingRate("JPY", "EUR", SAT)]
    assert (
        balances.missing_rates[0].detail == "No exchange rate for JPY->EUR on or before 2025-03-29."
    )
    with pytest.raises(MissingRateError, match="JPY->EUR on or before 2025-03-29"):
        balances.raise_if_incomplete()


def test_a_base_currency_other_than_the_euro_uses_cross_rates(rates):
    user = UserFactory(base_currency="USD")
    account(user, "GBP", "100.00")
    account(user, "USD", "10.00")

    balances = balances_in_base(user=user)

    # 1 GBP = 1.25 / 0.80 USD = 1.5625 USD
    assert balances.accounts[0].rate == D("1.5625")
    assert balances.total == D("166.25")
    assert [c.currency for c in balances.currencies] == ["USD", "GBP"]  # the base first


def test_no_accounts_is_a_zero_total(user):
    balances = balances_in_base(user=user)

    assert balances.accounts == []
    assert balances.total == D("0.00")
    assert balances.complete is True


@pytest.mark.parametrize("size", [1, 10])
def test_the_queries_do_not_grow_with_the_accounts(user, rates, django_assert_num_queries, size):
    for _ in range(size):
        account(user, "EUR", "1.00")
    with django_assert_num_queries(1):  # the accounts; every one is in the base currency
        balances_in_base(user=user)

    for currency in ("USD", "GBP") * size:
        account(user, currency, "1.00")
    with django_assert_num_queries(3):  # the accounts, and one rate book (two queries)
        assert balances_in_base(user=user).complete


def test_balances_in_any_currency_for_given_accounts(user, rates):
    dollars = account(user, "USD", "12.50")

    balances = balances_in(accounts=[dollars], currency="GBP", day=SAT)

    # 1 USD = 0.80 / 1.25 GBP = 0.64 GBP
    assert balances.total == D("8.00")


# --- Rates on a day -------------------------------------------------------------------


def test_rates_on_a_saturday_are_fridays_with_their_day(rates):
    rate("EUR", "JPY", datetime.date(2025, 3, 20), "160")

    found = rates_on(base="EUR", day=SAT)

    assert [(r.currency, r.rate, r.day) for r in found.rates] == [
        ("GBP", D("0.8"), FRI),
        ("JPY", D("160"), datetime.date(2025, 3, 20)),
        ("USD", D("1.25"), FRI),  # not Monday's 2.00: only rows on or before the day
    ]
    assert found.currencies == ["EUR", "GBP", "JPY", "USD"]


def test_a_cross_rate_is_dated_by_its_older_leg(rates):
    rate("EUR", "USD", datetime.date(2025, 3, 27), "1.30")  # Thursday; Friday's is newer
    rate("EUR", "GBP", datetime.date(2025, 3, 27), "0.81")

    found = rates_on(base="USD", day=SAT, quotes=["GBP", "USD", "EUR"])

    assert [(r.currency, r.rate, r.day) for r in found.rates] == [
        ("GBP", D("0.64"), FRI),
        ("USD", D(1), None),
        ("EUR", D("0.8"), FRI),
    ]


def test_a_newer_manual_pair_beats_the_cross_and_is_dated_by_its_own_row(rates):
    rate("USD", "GBP", SAT, "0.70", source=ExchangeRate.Source.MANUAL)
    rate("EUR", "CHF", datetime.date(2025, 3, 1), "0.95")

    found = rates_on(base="USD", day=SAT, quotes=["GBP", "CHF"])

    assert [(r.currency, r.rate, r.day) for r in found.rates] == [
        ("GBP", D("0.7"), SAT),
        # 0.95 / 1.25, dated by the older leg (EUR->CHF on 1 March)
        ("CHF", D("0.76"), datetime.date(2025, 3, 1)),
    ]


def test_a_currency_without_a_rate_that_day_is_listed_as_none(rates):
    found = rates_on(base="EUR", day=datetime.date(2025, 3, 1), quotes=["USD", "SEK"])

    assert [(r.currency, r.rate, r.day) for r in found.rates] == [
        ("USD", None, None),
        ("SEK", None, None),
    ]


def test_rates_on_agree_with_the_conversion_service_for_every_pair(rates):
    rate("EUR", "JPY", datetime.date(2025, 3, 20), "160")
    rate("USD", "GBP", datetime.date(2025, 3, 27), "0.70", source=ExchangeRate.Source.MANUAL)
    rate("CHF", "EUR", datetime.date(2025, 3, 29), "1.05", source=ExchangeRate.Source.MANUAL)
    for day in (datetime.date(2025, 3, 19), datetime.date(2025, 3, 27), FRI, SAT):
        for base in ("EUR", "USD", "GBP", "JPY", "CHF", "SEK"):
            for quoted in rates_on(base=base, day=day).rates:
                try:
                    expected = convert_rate(base, quoted.currency, day)
                except MissingRateError:
                    expected = None
                assert quoted.rate == expected, (base, quoted.currency, day)
                assert (quoted.day is None) == (expected is None or base == quoted.currency)

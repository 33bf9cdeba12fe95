"""/api/v1/insights/... and /api/v1/transactions/metrics/: defaults, ownership, bad input,
query counts. That the figures are right is shown in test_selectors.py (by hand) and
test_sql_crosscheck.py (against raw SQL on generated histories)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from drf_spectacular.generators import SchemaGenerator

from accounts.tests.factories import BankAccountFactory, ExchangeRateFactory, UserFactory
from conftest import client_for
from insights.tests.history import (
    PROFILES,
    SINGLE_CURRENCY,
    build_history,
    currencies_of,
    random_rates,
    store_rates,
)
from smartbank.testing import database_snapshot
from transactions.services import transfer_create
from transactions.tests.factories import TransactionFactory, default_category

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date
# 13:00 UTC on 20 June 2025: already 21 June in Auckland, still 20 June in Los Angeles.
NOW = datetime.datetime(2025, 6, 20, 13, 0, tzinfo=datetime.UTC)

CASH_FLOW = "/api/v1/insights/cash-flow/"
MERCHANTS = "/api/v1/insights/merchants/"
CATEGORIES = "/api/v1/insights/categories/"
TRENDS = "/api/v1/insights/trends/"
BURN_RATE = "/api/v1/insights/burn-rate/"
METRICS = "/api/v1/transactions/metrics/"
INSIGHTS = [CASH_FLOW, MERCHANTS, CATEGORIES, TRENDS, BURN_RATE]
ALL = [*INSIGHTS, METRICS]


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, currency="EUR", opening_date=DAY(2024, 1, 1))


def test_anonymous_calls_are_refused(anon_client):
    for url in ALL:
        assert anon_client.get(url).status_code == 401, url


# --- Defaults: the range, in the customer's time zone -----------------------------------


@pytest.mark.parametrize(
    ("time_zone", "today"),
    [("Pacific/Auckland", DAY(2025, 6, 21)), ("America/Los_Angeles", DAY(2025, 6, 20))],
)
def test_the_default_range_is_the_twelve_months_up_to_the_customers_today(time_zone, today):
    user = UserFactory(time_zone=time_zone, base_currency="EUR")
    account = BankAccountFactory(user=user, opening_date=DAY(2024, 1, 1))
    TransactionFactory(account=account, amount=D("-5.00"), txn_date=DAY(2025, 6, 21))
    TransactionFactory(account=account, amount=D("-7.00"), txn_date=DAY(2024, 7, 1))
    TransactionFactory(account=account, amount=D("-100.00"), txn_date=DAY(2024, 6, 30))
    client = client_for(user)
    for url in [CASH_FLOW, MERCHANTS, CATEGORIES, TRENDS]:
        body = client.get(url).json()
        assert (body["currency"], body["date_from"], body["date_to"]) == (
            "EUR",
            "2024-07-01",
            today.isoformat(),
        ), url
    body = client.get(CASH_FLOW).json()
    assert [month["start"] for month in body["months"]][::11] == ["2024-07-01", "2025-06-01"]
    assert len(body["months"]) == 12
    # The row dated 21 June is "today" in Auckland only; 30 June 2024 is outside either way.
    assert body["expenses"] == ("12.00" if today == DAY(2025, 6, 21) else "7.00")
    burn = client.get(BURN_RATE).json()
    assert (burn["date_from"], burn["date_to"]) == (
        (today - datetime.timedelta(days=89)).isoformat(),
        today.isoformat(),
    )


def test_one_end_of_the_range_given(api_client, account):
    def echoed(params):
        body = api_client.get(CASH_FLOW, params).json()
        return body["date_from"], body["date_to"]

    assert echoed({"date_to": "2025-03-15"}) == ("2024-04-01", "2025-03-15")
    assert echoed({"end_date": "2025-03-15"}) == ("2024-04-01", "2025-03-15")
    assert echoed({"date_from": "2025-05-02"}) == ("2025-05-02", "2025-06-20")
    assert echoed({"start_date": "2025-05-02"}) == ("2025-05-02", "2025-06-20")
    # A future date_from alone is that one day, not a range the wrong way round.
    assert echoed({"date_from": "2025-07-01"}) == ("2025-07-01", "2025-07-01")
    # An empty parameter is no parameter, as on the transaction list.
    assert echoed({"date_from": "", "category": ""}) == ("2024-07-01", "2025-06-20")


def test_weeks_start_on_monday(api_client, account):
    # 2 March 2025 is a Sunday, 3 March a Monday.
    TransactionFactory(account=account, amount=D("-10.00"), txn_date=DAY(2025, 3, 2))
    TransactionFactory(account=account, amount=D("25.00"), txn_date=DAY(2025, 3, 3))
    body = api_client.get(
        TRENDS, {"period": "week", "date_from": "2025-02-26", "date_to": "2025-03-04"}
    ).json()
    assert body["period"] == "week"
    assert body["periods"] == [
        {
            "start": "2025-02-24",
            "end": "2025-03-02",
            "deposits": "0.00",
            "spending": "10.00",
            "net": "-10.00",
            "count": 1,
        },
        {
            "start": "2025-03-03",
            "end": "2025-03-09",
            "deposits": "25.00",
            "spending": "0.00",
            "net": "25.00",
            "count": 1,
        },
    ]
    assert (body["deposits"], body["spending"], body["net"]) == ("25.00", "10.00", "15.00")


# --- Ownership --------------------------------------------------------------------------


def test_another_customers_account_is_a_400_and_changes_nothing(api_client, other_user):
    theirs = BankAccountFactory(user=other_user)
    TransactionFactory(account=theirs, amount=D("-99.00"), txn_date=DAY(2025, 6, 1))
    before = database_snapshot()
    for url in ALL:
        response = api_client.get(url, {"account": theirs.pk})
        assert response.status_code == 400, url
        assert response.json() == {"account": ["Account not found."]}, url
    assert database_snapshot() == before


def test_other_customers_rows_are_never_counted(user, account, other_user):
    TransactionFactory(account=account, amount=D("-10.00"), txn_date=DAY(2025, 6, 1))
    client = client_for(user)
    params = {"date_from": "2025-01-01", "date_to": "2025-06-30"}
    before = {url: client.get(url, {} if url == BURN_RATE else params).json() for url in ALL}

    theirs = BankAccountFactory(user=other_user, opening_date=DAY(2024, 1, 1))
    savings = BankAccountFactory(user=other_user, account_type="savings")
    for day in (DAY(2025, 6, 1), DAY(2025, 6, 20)):
        TransactionFactory(account=theirs, amount=D("-40.00"), txn_date=day)
        TransactionFactory(account=theirs, amount=D("300.00"), txn_date=day)
    TransactionFactory(
        account=theirs, amount=D("-5.00"), txn_date=DAY(2025, 6, 2), category=None, merchant=""
    )
    transfer_create(
        user=other_user, from_account=theirs, to_account=savings, amount=D("50.00"),
        txn_date=DAY(2025, 6, 3),
    )  # fmt: skip

    after = {url: client.get(url, {} if url == BURN_RATE else params).json() for url in ALL}
    assert after == before
    assert before[CASH_FLOW]["expenses"] == "10.00"


# --- Bad input --------------------------------------------------------------------------

BAD_INPUT = [
    # (url, params, the parameter named, a piece of the message)
    (CASH_FLOW, {"date_from": "2025-02-30"}, "date_from", "wrong format"),
    (CASH_FLOW, {"date_from": "yesterday"}, "date_from", "wrong format"),
    (CASH_FLOW, {"date_to": "20250101"}, "date_to", "wrong format"),
    (CASH_FLOW, {"start_date": "2025-1-1"}, "start_date", "wrong format"),
    (CASH_FLOW, {"date_from": "2025-05-01", "date_to": "2025-04-30"}, "date_from", "after"),
    (CASH_FLOW, {"date_from": "2025-05-01", "start_date": "2025-05-02"}, "start_date", "alias"),
    (CATEGORIES, {"date_from": "1899-12-31"}, "date_from", "before 1900-01-01"),
    (MERCHANTS, {"date_to": "2026-12-31"}, "date_to", "not accepted"),
    (TRENDS, {"date_from": "2010-01-01", "date_to": "2025-01-01"}, "date_from", "at most"),
    (TRENDS, {"period": "day"}, "period", "give week or month"),
    (TRENDS, {"period": "WEEK"}, "period", "give week or month"),
    (CATEGORIES, {"category": "no-such-thing"}, "category", "Unknown category: no-such-thing"),
    (CASH_FLOW, {"categories": "groceries,nope"}, "categories", "Unknown category: nope"),
    (CASH_FLOW, {"category": "x" * 2001}, "category", "At most 2000 characters"),
    (CASH_FLOW, {"categories": ",".join(f"c{i}" for i in range(51))}, "categories", "At most"),
    (MERCHANTS, {"limit": "101"}, "limit", "less than or equal to 100"),
    (MERCHANTS, {"limit": "1" + "0" * 30}, "limit", "less than or equal to 100"),
    (MERCHANTS, {"limit": "-1"}, "limit", "greater than or equal to 1"),
    (MERCHANTS, {"limit": "0"}, "limit", "greater than or equal to 1"),
    (MERCHANTS, {"limit": "ten"}, "limit", "valid integer"),
    (MERCHANTS, {"limit": "2.5"}, "limit", "valid integer"),
    (CASH_FLOW, {"account": "abc"}, "account", "Account not found."),
    (CASH_FLOW, {"account": "-1"}, "account", "Account not found."),
    (CASH_FLOW, {"account": "9" * 40}, "account", "Account not found."),
    (BURN_RATE, {"date_from": "2025-01-01"}, "date_from", "give date_to only"),
    (BURN_RATE, {"start_date": "2025-01-01"}, "start_date", "give date_to only"),
    (BURN_RATE, {"date_to": "2025-06-21"}, "date_to", "cannot be after your today"),
    (BURN_RATE, {"date_to": "June"}, "date_to", "wrong format"),
    (METRICS, {"date_from": "2025-02-30"}, "date_from", "valid date"),
    (METRICS, {"category": "no-such-thing"}, "category", "Unknown category"),
    (METRICS, {"account": "abc"}, "account", "Account not found."),
]


@pytest.mark.parametrize(("url", "params", "field", "message"), BAD_INPUT)
def test_bad_input_is_a_400_naming_the_parameter(api_client, account, url, params, field, message):
    before = database_snapshot()
    response = api_client.get(url, params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert message in body[field][0]
    assert database_snapshot() == before


def test_a_missing_rate_is_a_409_naming_the_pair_and_day(api_client, user):
    dollars = BankAccountFactory(user=user, currency="USD", opening_date=DAY(2024, 1, 1))
    TransactionFactory(account=dollars, amount=D("-3.00"), txn_date=DAY(2025, 6, 2))
    for url in ALL:
        response = api_client.get(url)
        assert response.status_code == 409, url
        assert response.json()["detail"] == (
            "No exchange rate for USD->EUR on or before 2025-06-02."
        )
    ExchangeRateFactory(base="EUR", quote="USD", day=DAY(2025, 6, 1), rate=D("1.2"))
    for url in ALL:
        assert api_client.get(url).status_code == 200, url


# --- A small worked example through the API ---------------------------------------------


def test_metrics_leave_transfers_out_and_take_the_lists_filters(api_client, user, account):
    savings = BankAccountFactory(user=user, account_type="savings", opening_date=DAY(2024, 1, 1))
    groceries, dining = default_category("groceries"), default_category("dining")
    TransactionFactory(
        account=account, amount=D("-30.00"), category=groceries, txn_date=DAY(2025, 6, 1)
    )
    TransactionFactory(
        account=account, amount=D("-10.00"), category=groceries, txn_date=DAY(2025, 6, 2)
    )
    TransactionFactory(
        account=account, amount=D("5.00"), category=groceries, txn_date=DAY(2025, 6, 3)
    )
    TransactionFactory(
        account=account, amount=D("-21.00"), category=dining, txn_date=DAY(2025, 6, 4)
    )
    TransactionFactory(account=account, amount=D("-4.00"), category=None, txn_date=DAY(2025, 5, 4))
    transfer_create(
        user=user, from_account=account, to_account=savings, amount=D("500.00"),
        txn_date=DAY(2025, 6, 5),
    )  # fmt: skip

    body = api_client.get(METRICS).json()
    assert body == {
        "currency": "EUR",
        "date_from": None,
        "date_to": None,
        "total_spent": "65.00",
        "expense_count": 4,
        "average_transaction": "16.25",
        "money_in": "5.00",
        "income_count": 1,
        "top_categories": [
            {"category": "groceries", "category_name": "Groceries", "spending": "35.00",
             "share": "58.33", "count": 3},
            {"category": "dining", "category_name": "Dining", "spending": "21.00",
             "share": "35.00", "count": 1},
            {"category": None, "category_name": "Uncategorised", "spending": "4.00",
             "share": "6.67", "count": 1},
        ],
    }  # fmt: skip
    june = api_client.get(METRICS, {"date_from": "2025-06-01", "kind": "expense"}).json()
    assert (june["date_from"], june["total_spent"], june["money_in"]) == (
        "2025-06-01",
        "61.00",
        "0.00",
    )
    transfers = api_client.get(METRICS, {"kind": "transfer"}).json()
    assert (transfers["total_spent"], transfers["average_transaction"]) == ("0.00", None)
    assert transfers["top_categories"] == []
    tightest = api_client.get(
        METRICS, {"date_from": "2025-05-01", "start_date": "2025-06-02", "date_to": "2025-06-30"}
    ).json()
    assert (tightest["date_from"], tightest["total_spent"]) == ("2025-06-02", "31.00")


# --- Query counts -----------------------------------------------------------------------

# Per request: the user (JWT), one grouped query (its groups and its overall totals come
# from the same rows; burn rate adds the liquid balances), and two rate queries per grouped
# query when a row is in another currency. An account filter adds one query, a category
# filter one.
QUERIES = {
    # url: (single currency, multi-currency, with account + categories filters)
    CASH_FLOW: (2, 4, 4),
    TRENDS: (2, 4, 4),
    MERCHANTS: (2, 4, 4),
    CATEGORIES: (2, 4, 4),
    BURN_RATE: (3, 7, 5),
    METRICS: (2, 4, 4),
}


@pytest.mark.parametrize("url", ALL)
@pytest.mark.parametrize(
    "profile", [SINGLE_CURRENCY, PROFILES[2]], ids=["single-currency", "multi-currency"]
)
def test_queries_do_not_grow_with_the_history(django_assert_num_queries, url, profile):
    store_rates(
        random_rates(
            seed=5, currencies=currencies_of([profile]), start=DAY(2024, 12, 1), end=DAY(2025, 7, 1)
        )
    )
    single, multi, filtered = QUERIES[url]
    rows = []
    for seed, per_month in ((1, 5), (2, 50)):  # a history and one ten times longer
        history = build_history(
            seed=seed, start=DAY(2025, 1, 1), end=DAY(2025, 6, 20), per_month=per_month,
            profiles=[profile],
        )  # fmt: skip
        customer = history.customers[0]
        rows.append(customer.user.transactions.exclude(kind="transfer").count())
        client = client_for(customer.user)
        with django_assert_num_queries(single if profile is SINGLE_CURRENCY else multi):
            assert client.get(url).status_code == 200
        # The everyday account is in the base currency: no rates needed then.
        filters = {"account": customer.accounts[0].pk, "categories": "groceries,dining"}
        with django_assert_num_queries(filtered):
            assert client.get(url, filters).status_code == 200
        if url == MERCHANTS:
            with django_assert_num_queries(single if profile is SINGLE_CURRENCY else multi):
                assert client.get(url, {"limit": 100}).status_code == 200
        if url == TRENDS:
            with django_assert_num_queries(single if profile is SINGLE_CURRENCY else multi):
                assert client.get(url, {"period": "week"}).status_code == 200
    assert rows[1] > 8 * rows[0] > 0


# --- The schema documents each insight --------------------------------------------------


def test_the_schema_documents_parameters_defaults_and_errors():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    expected_parameters = {
        CASH_FLOW: {"date_from", "date_to", "start_date", "end_date", "account", "category",
                    "categories"},
        MERCHANTS: {"limit"},
        TRENDS: {"period"},
        BURN_RATE: {"date_to", "end_date", "account", "categories"},
        METRICS: {"date_from", "account", "category", "categories", "kind", "q", "amount_min"},
    }  # fmt: skip
    for url in ALL:
        operation = schema["paths"][url]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert expected_parameters.get(url, {"date_from"}) <= names, url
        assert {"200", "400", "401", "409"} <= set(operation["responses"]), url
        assert "base currency" in operation["description"], url
    cash_flow = schema["paths"][CASH_FLOW]["get"]
    date_from = next(p for p in cash_flow["parameters"] if p["name"] == "date_from")
    assert "twelve months up to your today" in date_from["description"]
    assert "date_from" not in {
        parameter["name"] for parameter in schema["paths"][BURN_RATE]["get"]["parameters"]
    }

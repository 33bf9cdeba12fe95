"""/api/v1/rewards/: programmes with balances, their entries, the total, and redemptions."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from conftest import client_for
from rewards.models import PointsEntry, RewardProgramme
from rewards.services import POINTS_MAX, programme_for
from rewards.tests.factories import PointsEntryFactory, RedemptionRateFactory
from smartbank.testing import database_snapshot
from transactions.models import Transaction
from transactions.services import ledger_differences

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/rewards/"
TOTAL_URL = "/api/v1/rewards/total/"
SIGNUP_URL = "/api/v1/auth/signup/"


def detail_url(programme) -> str:
    return f"/api/v1/rewards/{programme.pk}/"


def entries_url(programme) -> str:
    return f"/api/v1/rewards/{programme.pk}/entries/"


def redeem_url(programme) -> str:
    return f"/api/v1/rewards/{programme.pk}/redeem/"


@pytest.fixture
def programme(user):
    programme = programme_for(user)
    PointsEntryFactory(programme=programme, points=1000, reason="Welcome bonus")
    return programme


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, opening_balance=Decimal("100.00"))


# --- Anonymous --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", LIST_URL),
        ("get", TOTAL_URL),
        ("get", "/api/v1/rewards/1/"),
        ("get", "/api/v1/rewards/1/entries/"),
        ("post", "/api/v1/rewards/1/redeem/"),
    ],
)
def test_anonymous_calls_get_401(anon_client, method, path):
    assert getattr(anon_client, method)(path).status_code == 401


# --- Programmes -------------------------------------------------------------------------


def test_the_list_shows_my_programme_with_its_balance(api_client, programme, other_user):
    PointsEntryFactory(programme=programme, points=-250, reason="Correction")
    PointsEntryFactory(programme=programme_for(other_user), points=99)

    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == [
        {
            "id": programme.pk,
            "name": "SmartBank Rewards",
            "balance": 750,
            "created_at": response.json()["results"][0]["created_at"],
        }
    ]


def test_a_customer_without_a_programme_gets_one(api_client, user):
    assert not RewardProgramme.objects.filter(user=user).exists()

    response = api_client.get(LIST_URL)

    assert response.json()["results"][0]["balance"] == 0
    assert RewardProgramme.objects.filter(user=user).count() == 1


def test_staff_are_not_given_a_programme(staff):
    response = client_for(staff["support"]).get(LIST_URL)

    assert response.json()["count"] == 0
    assert not RewardProgramme.objects.exists()


def test_the_list_costs_the_same_queries_whatever_the_entries(
    api_client, programme, django_assert_num_queries
):
    for _ in range(5):
        PointsEntryFactory(programme=programme, points=10)

    # The user (JWT), the programme check, the count, the page with balances.
    with django_assert_num_queries(4):
        assert api_client.get(LIST_URL).status_code == 200


def test_retrieve_my_programme(api_client, programme):
    response = api_client.get(detail_url(programme))

    assert response.status_code == 200
    assert response.json()["balance"] == 1000


def test_another_customers_programme_is_404(other_client, programme):
    assert other_client.get(detail_url(programme)).status_code == 404
    assert other_client.get(entries_url(programme)).status_code == 404


def test_the_total_adds_up_my_points(api_client, programme, other_user):
    PointsEntryFactory(programme=programme, points=-100)
    PointsEntryFactory(programme=programme_for(other_user), points=5000)

    response = api_client.get(TOTAL_URL)

    assert response.status_code == 200
    assert response.json() == {"total_points": 900}


def test_the_total_is_zero_without_points(api_client):
    assert api_client.get(TOTAL_URL).json() == {"total_points": 0}


def test_signing_up_makes_the_programme(anon_client):
    response = anon_client.post(
        SIGNUP_URL, {"email": "new@example.com", "password": "a-long-enough-password-1"}
    )

    assert response.status_code == 201
    programme = RewardProgramme.objects.get(user__email="new@example.com")
    listed = client_for(programme.user).get(LIST_URL).json()["results"]
    assert [item["id"] for item in listed] == [programme.pk]


# --- Entries ----------------------------------------------------------------------------


def test_entries_are_newest_first_and_paginated(api_client, programme):
    later = PointsEntryFactory(programme=programme, points=-300, reason="Spent")

    response = api_client.get(entries_url(programme), {"limit": 1})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert body["next"] is not None
    assert body["results"] == [
        {
            "id": later.pk,
            "points": -300,
            "reason": "Spent",
            "source": "adjustment",
            "transaction": None,
            "created_at": body["results"][0]["created_at"],
        }
    ]


def test_entries_filter_by_source(api_client, programme, account):
    RedemptionRateFactory()
    api_client.post(redeem_url(programme), {"points": 500, "account": account.pk})

    response = api_client.get(entries_url(programme), {"source": "redemption"})

    results = response.json()["results"]
    assert [entry["points"] for entry in results] == [-500]
    assert results[0]["transaction"] == Transaction.objects.get(account=account).pk


def test_a_bad_source_is_a_400(api_client, programme):
    response = api_client.get(entries_url(programme), {"source": "lottery"})

    assert response.status_code == 400
    assert "source" in response.json()


def test_entries_cost_the_same_queries_whatever_their_number(
    api_client, programme, django_assert_num_queries
):
    for _ in range(10):
        PointsEntryFactory(programme=programme, points=10)

    # The user (JWT), the programme, the count, the page.
    with django_assert_num_queries(4):
        assert api_client.get(entries_url(programme)).status_code == 200


# --- Redeem -----------------------------------------------------------------------------


def test_redeeming_credits_the_account(api_client, programme, account, user):
    RedemptionRateFactory(currency="EUR", points_per_unit=100, minimum_points=500)

    response = api_client.post(redeem_url(programme), {"points": 750, "account": account.pk})

    assert response.status_code == 201, response.json()
    body = response.json()
    txn = Transaction.objects.get(account=account)
    entry = PointsEntry.objects.get(source="redemption")
    assert body == {
        "points": 750,
        "credit": "7.50",
        "currency": "EUR",
        "transaction": txn.pk,
        "entry": entry.pk,
        "balance": 250,
    }
    assert txn.amount == Decimal("7.50")
    assert txn.kind == "income"
    account.refresh_from_db()
    assert account.balance == Decimal("107.50")
    assert api_client.get(detail_url(programme)).json()["balance"] == 250
    assert ledger_differences() == []


def test_points_may_be_sent_as_a_string_of_digits(api_client, programme, account):
    RedemptionRateFactory()

    response = api_client.post(redeem_url(programme), {"points": "500", "account": account.pk})

    assert response.status_code == 201
    assert response.json()["credit"] == "5.00"


def test_more_points_than_the_balance_is_a_400_and_nothing_changes(api_client, programme, account):
    RedemptionRateFactory()
    before = database_snapshot()

    response = api_client.post(redeem_url(programme), {"points": 1001, "account": account.pk})

    assert response.status_code == 400
    assert response.json() == {"points": ["You have 1000 points; you cannot redeem 1001."]}
    assert database_snapshot() == before


def test_another_customers_programme_cannot_be_redeemed(other_client, other_user, programme):
    own_account = BankAccountFactory(user=other_user)
    RedemptionRateFactory()
    before = database_snapshot()

    response = other_client.post(redeem_url(programme), {"points": 500, "account": own_account.pk})

    assert response.status_code == 404
    assert database_snapshot() == before


def test_another_customers_account_is_a_400_and_nothing_changes(api_client, programme, other_user):
    strangers = BankAccountFactory(user=other_user)
    RedemptionRateFactory()
    before = database_snapshot()

    response = api_client.post(redeem_url(programme), {"points": 500, "account": strangers.pk})

    assert response.status_code == 400
    assert response.json() == {"account": ["Account not found."]}
    assert database_snapshot() == before


def test_an_archived_account_is_a_400(api_client, programme, user):
    archived = BankAccountFactory(user=user, is_archived=True)
    RedemptionRateFactory()
    before = database_snapshot()

    response = api_client.post(redeem_url(programme), {"points": 500, "account": archived.pk})

    assert response.status_code == 400
    assert "archived" in response.json()["account"][0]
    assert database_snapshot() == before


def test_an_account_in_a_currency_without_a_rate_is_a_400(api_client, programme, user):
    pounds = BankAccountFactory(user=user, currency="GBP")
    RedemptionRateFactory(currency="EUR")
    before = database_snapshot()

    response = api_client.post(redeem_url(programme), {"points": 500, "account": pounds.pk})

    assert response.status_code == 400
    assert response.json() == {"account": ["Points cannot be redeemed into a GBP account."]}
    assert database_snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": "abc"}, "points"),
        ({"points": 1.5}, "points"),
        ({"points": "1.5"}, "points"),
        ({"points": 1.0}, "points"),
        ({"points": "1e3"}, "points"),
        ({"points": True}, "points"),
        ({"points": None}, "points"),
        ({"points": [500]}, "points"),
        ({"points": -500}, "points"),
        ({"points": 0}, "points"),
        ({"points": 10**30}, "points"),
        ({"points": "9" * 5000}, "points"),
        ({"points": POINTS_MAX + 1}, "points"),
        ({"points": 499}, "points"),
        ({}, "points"),
        ({"points": 500, "account": "x"}, "account"),
        ({"points": 500, "account": 1.5}, "account"),
        ({"points": 500, "account": 999999}, "account"),
        ({"points": 500, "account": None}, "account"),
        ({"points": 500}, "account"),
    ],
)
def test_bad_input_is_a_400_and_nothing_changes(api_client, programme, account, body, field):
    RedemptionRateFactory()
    body = {"account": account.pk, **body} if field == "points" else body
    before = database_snapshot()

    response = api_client.post(redeem_url(programme), body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert database_snapshot() == before


def test_a_redemption_into_a_savings_account_in_dollars(api_client, programme, user):
    savings = BankAccountFactory(user=user, currency="USD", account_type=BankAccount.Type.SAVINGS)
    RedemptionRateFactory(currency="USD", points_per_unit=80, minimum_points=100)

    response = api_client.post(redeem_url(programme), {"points": 1000, "account": savings.pk})

    assert response.status_code == 201
    assert response.json()["credit"] == "12.50"
    assert response.json()["currency"] == "USD"
    assert response.json()["balance"] == 0


def test_redeeming_twice_cannot_spend_the_points_twice(api_client, programme, account):
    RedemptionRateFactory()

    first = api_client.post(redeem_url(programme), {"points": 600, "account": account.pk})
    second = api_client.post(redeem_url(programme), {"points": 600, "account": account.pk})

    assert first.status_code == 201
    assert second.status_code == 400
    assert api_client.get(TOTAL_URL).json() == {"total_points": 400}


def test_today_is_the_customers_today(programme, account):
    # 23:30 UTC on 31 March is already 1 April in Sydney.
    user = programme.user
    user.time_zone = "Australia/Sydney"
    user.save()
    RedemptionRateFactory()

    with time_machine.travel(datetime.datetime(2025, 3, 31, 23, 30, tzinfo=datetime.UTC)):
        client_for(user).post(redeem_url(programme), {"points": 500, "account": account.pk})

    assert Transaction.objects.get(account=account).txn_date == datetime.date(2025, 4, 1)


def test_another_user_in_the_list_does_not_leak(api_client, programme):
    stranger = UserFactory()
    programme_for(stranger)

    ids = [item["id"] for item in api_client.get(LIST_URL).json()["results"]]

    assert ids == [programme.pk]

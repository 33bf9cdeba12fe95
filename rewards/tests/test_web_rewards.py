"""The rewards page (Django test client): balance, history pages, redemption."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from rewards.models import PointsEntry, PointsSource
from rewards.tests.factories import (
    PointsEntryFactory,
    RedemptionRateFactory,
    RewardProgrammeFactory,
)
from smartbank.testing import database_snapshot

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("rewards-web:overview")
NOW = datetime.datetime(2025, 3, 15, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def programme(user):
    programme = RewardProgrammeFactory(user=user)
    PointsEntryFactory(programme=programme, points=1200, reason="Welcome bonus")
    return programme


@pytest.fixture
def account(user):
    return BankAccountFactory(user=user, name="Everyday", opening_balance=Decimal("100.00"))


def test_anonymous_is_sent_to_login(client):
    response = client.get(OVERVIEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_balance_and_history(web, programme):
    PointsEntryFactory(programme=programme, points=-200, reason="Correction")
    response = web.get(OVERVIEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<p class="value" data-points-balance>1000</p>' in html
    assert "Welcome bonus" in html and "+1200" in html and "-200" in html


def test_a_customer_without_a_programme_gets_one(web, user):
    response = web.get(OVERVIEW)
    assert response.status_code == 200
    assert "No points yet." in response.content.decode()
    assert user.reward_programme.name


def test_history_is_paginated(web, programme):
    for index in range(25):
        PointsEntryFactory(programme=programme, points=index + 1, reason=f"Entry {index}")
    first = web.get(OVERVIEW)
    assert len(first.context["page_obj"].object_list) == 20
    second = web.get(OVERVIEW, {"page": 2})
    assert len(second.context["page_obj"].object_list) == 6
    assert web.get(OVERVIEW, {"page": "x" * 1000}).status_code == 200


def test_redeem_points_for_a_credit(web, programme, account):
    RedemptionRateFactory()
    response = web.post(OVERVIEW, {"points": "600", "account": account.pk}, follow=True)
    assert response.redirect_chain == [(OVERVIEW, 302)]
    text = response.content.decode()
    money = '<span data-money="{}" data-currency="EUR">{} EUR</span>'
    assert f"Redeemed 600 points for {money.format('6.00', '6.00')} on Everyday" in text
    assert f"its balance is now {money.format('106.00', '106.00')}" in text
    assert "You have 600 points left." in text
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("106.00")
    entry = PointsEntry.objects.get(source=PointsSource.REDEMPTION)
    assert entry.points == -600


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"points": "5000"}, "points", "You have 1200 points"),
        ({"points": "100"}, "points", "Redeem at least 500 points."),
        ({"points": "0"}, "points", "greater than or equal to 1"),
        ({"points": "1.5"}, "points", "Enter a whole number."),
        ({"points": "9" * 40}, "points", "less than or equal to"),
        ({"points": ""}, "points", "required"),
        ({"account": "999999"}, "account", "Select a valid choice"),
        ({"account": "usd"}, "account", "cannot be redeemed into a USD account"),
    ],
)
def test_redeem_refusals_are_beside_the_field_and_write_nothing(
    web, user, programme, account, data, field, message
):
    RedemptionRateFactory()
    if data.get("account") == "usd":
        data = {"account": BankAccountFactory(user=user, currency="USD").pk}
    before = database_snapshot()
    response = web.post(OVERVIEW, {"points": "600", "account": account.pk, **data})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert database_snapshot() == before


def test_another_customers_account_is_refused(web, programme, other_user):
    RedemptionRateFactory()
    theirs = BankAccountFactory(user=other_user)
    before = database_snapshot()
    response = web.post(OVERVIEW, {"points": "600", "account": theirs.pk})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert database_snapshot() == before


def test_another_customers_points_never_show(web, programme, other_user):
    theirs = RewardProgrammeFactory(user=other_user)
    PointsEntryFactory(programme=theirs, points=777, reason="Their bonus")
    html = web.get(OVERVIEW).content.decode()
    assert "Their bonus" not in html and "777" not in html


def test_redeem_needs_csrf(user, programme, account):
    RedemptionRateFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    before = database_snapshot()
    assert client.post(OVERVIEW, {"points": "600", "account": account.pk}).status_code == 403
    assert database_snapshot() == before


def test_query_count_does_not_grow_with_history(web, programme, django_assert_num_queries):
    RedemptionRateFactory()
    # Session, user, programme with its balance, the page's count, its rows, the rates,
    # the accounts offered.
    with django_assert_num_queries(7):
        web.get(OVERVIEW)
    for index in range(40):
        PointsEntryFactory(programme=programme, points=index + 1)
    with django_assert_num_queries(7):
        response = web.get(OVERVIEW)
    assert len(response.context["page_obj"].object_list) == 20


def test_demo_customers_rewards_page_runs_the_pinned_queries(client, django_assert_num_queries):
    from accounts.models import User
    from smartbank.demo import DemoSize, seed_demo

    seed_demo(DemoSize(customers=1, months=3, transactions_per_month=6), today=NOW.date())
    customer = User.objects.filter(role="customer").get()
    client.force_login(customer)
    with django_assert_num_queries(7):
        response = client.get(OVERVIEW)
    assert response.context["page_obj"].object_list

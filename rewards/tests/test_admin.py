"""The rewards staff console: every page renders; points change only through points_adjust."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditLog
from accounts.tests.factories import UserFactory
from accounts.tests.test_admin import admin_url, change_url, client_logged_in, form_data
from rewards.models import EarningRule, PointsEntry, RedemptionRate, RewardProgramme
from rewards.services import programme_for
from rewards.tests.factories import (
    BillRuleFactory,
    EarningRuleFactory,
    PointsEntryFactory,
    RedemptionRateFactory,
)
from transactions.tests.factories import default_category

pytestmark = pytest.mark.django_db

REWARDS_MODELS = [RewardProgramme, PointsEntry, EarningRule, RedemptionRate]


def adjust_url(programme) -> str:
    return reverse("admin:rewards_rewardprogramme_adjust", args=[programme.pk])


def make_rewards_rows() -> RewardProgramme:
    programme = programme_for(UserFactory(email="saver@example.com"))
    PointsEntryFactory(programme=programme, points=500)
    EarningRuleFactory()
    BillRuleFactory()
    RedemptionRateFactory()
    return programme


@pytest.mark.parametrize("model", REWARDS_MODELS, ids=lambda model: model._meta.label)
def test_every_rewards_admin_page_renders(admin_client, admin_user, model):
    make_rewards_rows()
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = admin_user

    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist"), {"q": "example"}).status_code == 200
    add = admin_client.get(admin_url(model, "add"))
    assert add.status_code == (200 if model_admin.has_add_permission(request) else 403)
    obj = model._default_manager.order_by("pk").first()
    assert admin_client.get(change_url(obj)).status_code == 200


def test_the_adjust_page_renders(admin_client):
    programme = make_rewards_rows()

    response = admin_client.get(adjust_url(programme))

    assert response.status_code == 200
    assert "500 points" in response.content.decode()


def test_an_auditor_reads_but_cannot_adjust(staff):
    programme = make_rewards_rows()
    auditor = client_logged_in(staff["auditor"])

    page = auditor.get(change_url(programme))
    assert page.status_code == 200
    assert auditor.get(adjust_url(programme)).status_code == 403
    response = auditor.post(adjust_url(programme), {"points": "10", "reason": "Nice"})
    assert response.status_code == 403
    assert PointsEntry.objects.count() == 1


def test_support_staff_do_not_see_rewards(staff):
    programme = make_rewards_rows()

    assert client_logged_in(staff["support"]).get(adjust_url(programme)).status_code == 403


def test_the_programme_page_shows_the_balance_and_entries(admin_client):
    programme = make_rewards_rows()
    PointsEntryFactory(programme=programme, points=-200, reason="Spent at the shop")

    response = admin_client.get(change_url(programme))

    content = response.content.decode()
    assert "Spent at the shop" in content
    assert response.context["adminform"].form.instance.balance == 300


def test_an_admin_adjusts_points_and_it_is_audited(admin_client, admin_user):
    programme = make_rewards_rows()

    response = admin_client.post(adjust_url(programme), {"points": "-150", "reason": "Fraud"})

    assert response.status_code == 302
    entry = PointsEntry.objects.get(source="adjustment", points=-150)
    assert entry.created_by == admin_user
    assert entry.reason == "Fraud"
    log = AuditLog.objects.get(action="rewards.points_adjust")
    assert log.actor == admin_user
    assert log.changes["balance"] == [500, 350]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"points": "-501", "reason": "Too much"}, "points"),
        ({"points": "0", "reason": "Nothing"}, "points"),
        ({"points": "1.5", "reason": "Half"}, "points"),
        ({"points": "10", "reason": ""}, "reason"),
        ({"points": "", "reason": "Nothing"}, "points"),
    ],
)
def test_a_refused_adjustment_is_a_form_error_and_writes_nothing(admin_client, data, field):
    programme = make_rewards_rows()

    response = admin_client.post(adjust_url(programme), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert PointsEntry.objects.count() == 1
    assert not AuditLog.objects.exists()


def test_the_adjust_action_opens_the_adjust_page_for_one_programme(admin_client):
    programme = make_rewards_rows()
    other = programme_for(UserFactory())
    changelist = admin_url(RewardProgramme, "changelist")

    one = admin_client.post(
        changelist, {"action": "adjust_points", "_selected_action": [programme.pk]}
    )
    two = admin_client.post(
        changelist, {"action": "adjust_points", "_selected_action": [programme.pk, other.pk]}
    )

    assert one.status_code == 302
    assert one.url == adjust_url(programme)
    assert two.status_code == 302
    assert two.url != adjust_url(programme)


def test_the_programme_list_annotates_balances_in_one_query(admin_client):
    make_rewards_rows()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(admin_url(RewardProgramme, "changelist"))
            assert response.status_code == 200
        return len(queries)

    few = count()
    for _ in range(8):
        PointsEntryFactory(programme=programme_for(UserFactory()), points=5)

    assert count() == few


def test_renaming_a_programme_keeps_its_points(admin_client):
    programme = make_rewards_rows()
    page = admin_client.get(change_url(programme))
    data = form_data(page) | {
        "name": "Gold Rewards",
        "entries-TOTAL_FORMS": "1",
        "entries-INITIAL_FORMS": "1",
        "entries-0-id": str(PointsEntry.objects.get().pk),
        "entries-0-programme": str(programme.pk),
    }

    response = admin_client.post(change_url(programme), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    programme.refresh_from_db()
    assert programme.name == "Gold Rewards"
    assert PointsEntry.objects.get().points == 500


def test_points_entries_are_read_only(admin_client):
    make_rewards_rows()
    entry = PointsEntry.objects.get()

    response = admin_client.post(change_url(entry), {"points": "99999", "reason": "Hack"})

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.points == 500


def test_adding_an_earning_rule_is_audited(admin_client, admin_user):
    groceries = default_category("groceries")

    response = admin_client.post(
        admin_url(EarningRule, "add"),
        {
            "name": "Groceries double points",
            "kind": "category_spend",
            "points": "2.00",
            "categories": [groceries.pk],
            "active": "on",
            "starts_on": "2025-01-01",
        },
    )

    assert response.status_code == 302
    rule = EarningRule.objects.get()
    assert rule.points == Decimal("2.00")
    assert rule.starts_on == datetime.date(2025, 1, 1)
    assert list(rule.categories.all()) == [groceries]
    log = AuditLog.objects.get(action="earning_rule.create")
    assert log.actor == admin_user
    assert log.changes["categories"] == [None, [groceries.pk]]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "category_spend", "points": "1.00"}, "categories"),
        ({"kind": "bill_on_time", "points": "50", "categories": "GROCERIES"}, "categories"),
        ({"kind": "bill_on_time", "points": "-1"}, "points"),
        ({"kind": "bill_on_time", "points": "1.234"}, "points"),
    ],
)
def test_a_bad_earning_rule_is_a_form_error(admin_client, data, field):
    if data.get("categories") == "GROCERIES":
        data = {**data, "categories": [default_category("groceries").pk]}

    response = admin_client.post(
        admin_url(EarningRule, "add"),
        {"name": "Bad", "starts_on": "2025-01-01", "active": "on", **data},
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not EarningRule.objects.exists()
    assert not AuditLog.objects.exists()


def test_a_redemption_rate_is_saved_upper_case_and_audited(admin_client):
    response = admin_client.post(
        admin_url(RedemptionRate, "add"),
        {"currency": " usd", "points_per_unit": "80", "minimum_points": "100"},
    )

    assert response.status_code == 302
    rate = RedemptionRate.objects.get()
    assert rate.currency == "USD"
    assert AuditLog.objects.get(action="redemption_rate.create").changes["currency"] == [
        None,
        "USD",
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"currency": "XYZ", "points_per_unit": "80", "minimum_points": "1"},
        {"currency": "USD", "points_per_unit": "0", "minimum_points": "1"},
        {"currency": "USD", "points_per_unit": "80", "minimum_points": "0"},
    ],
)
def test_a_bad_redemption_rate_is_a_form_error(admin_client, data):
    response = admin_client.post(admin_url(RedemptionRate, "add"), data)

    assert response.status_code == 200
    assert not RedemptionRate.objects.exists()


def test_deleting_a_rule_is_audited(admin_client):
    rule = EarningRuleFactory()

    response = admin_client.post(admin_url(EarningRule, "delete", rule.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not EarningRule.objects.exists()
    assert AuditLog.objects.filter(action="earning_rule.delete", target_id=str(rule.pk)).exists()


def test_the_history_link_lists_one_programmes_entries(admin_client):
    programme = make_rewards_rows()
    PointsEntryFactory(programme=programme_for(UserFactory()), points=7)

    response = admin_client.get(admin_url(PointsEntry, "changelist"), {"programme": programme.pk})

    assert response.status_code == 200
    assert [entry.programme_id for entry in response.context["cl"].result_list] == [programme.pk]

"""The staff console for budgets: pages render, writes go through budgets.services."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from accounts.models import AuditLog
from accounts.tests.factories import UserFactory
from accounts.tests.test_admin import admin_url, change_url, form_data
from budgets.models import Budget
from budgets.tests.factories import BudgetFactory
from transactions.tests.factories import CategoryFactory, default_category

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(datetime.datetime(2025, 3, 20, 12, tzinfo=datetime.UTC), tick=False):
        yield


def budget_form(customer, **overrides) -> dict:
    return {
        "user": customer.pk,
        "category": default_category("groceries").pk,
        "month": "2025-03-14",
        "amount": "250.00",
        **overrides,
    }


def test_pages_render(admin_client):
    budget = BudgetFactory(user=UserFactory(email="shopper@example.com"))
    changelist = admin_url(Budget, "changelist")

    assert admin_client.get(changelist).status_code == 200
    found = admin_client.get(changelist, {"q": "shopper@"})
    assert list(found.context["cl"].result_list) == [budget]
    assert list(admin_client.get(changelist, {"q": "nobody@"}).context["cl"].result_list) == []
    filtered = admin_client.get(changelist, {"category": "groceries", "currency": "EUR"})
    assert list(filtered.context["cl"].result_list) == [budget]
    assert admin_client.get(admin_url(Budget, "add")).status_code == 200
    assert admin_client.get(change_url(budget)).status_code == 200
    assert admin_client.get(admin_url(Budget, "delete", budget.pk)).status_code == 200


def test_adding_a_budget_goes_through_the_service_and_is_audited(admin_client, admin_user):
    customer = UserFactory(base_currency="GBP")

    response = admin_client.post(admin_url(Budget, "add"), budget_form(customer))

    assert response.status_code == 302
    budget = Budget.objects.get()
    assert (budget.user, budget.month, budget.amount, budget.currency) == (
        customer,
        datetime.date(2025, 3, 1),
        Decimal("250.00"),
        "GBP",
    )
    assert AuditLog.objects.filter(
        action="budget.create", actor=admin_user, target_id=str(budget.pk)
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-3.00"}, "amount"),
        ({"month": "1800-01-01"}, "month"),
        ({"category": "other customer's"}, "category"),
        ({"category": "duplicate"}, "category"),
    ],
)
def test_a_refused_budget_is_a_form_error_and_writes_nothing(admin_client, overrides, field):
    customer = UserFactory()
    if overrides.get("category") == "other customer's":
        overrides["category"] = CategoryFactory(user=UserFactory()).pk
    elif overrides.get("category") == "duplicate":
        BudgetFactory(user=customer)
        overrides["category"] = default_category("groceries").pk
    before = list(Budget.objects.values())

    response = admin_client.post(admin_url(Budget, "add"), budget_form(customer, **overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert list(Budget.objects.values()) == before
    assert not AuditLog.objects.filter(action="budget.create").exists()


def test_the_transfers_category_is_not_offered(admin_client):
    response = admin_client.get(admin_url(Budget, "add"))

    choices = response.context["adminform"].form.fields["category"].queryset
    assert not choices.filter(slug="transfers").exists()
    assert choices.filter(slug="groceries").exists()


def test_changing_a_budget_goes_through_the_service(admin_client, admin_user):
    budget = BudgetFactory()
    page = admin_client.get(change_url(budget))
    assert "currency" not in page.context["adminform"].form.fields

    response = admin_client.post(change_url(budget), form_data(page) | {"amount": "99.99"})

    assert response.status_code == 302
    budget.refresh_from_db()
    assert budget.amount == Decimal("99.99")
    entry = AuditLog.objects.get(action="budget.update")
    assert (entry.actor, entry.changes) == (admin_user, {"amount": ["400.00", "99.99"]})


def test_deleting_goes_through_the_service(admin_client, admin_user):
    budget, other = BudgetFactory(), BudgetFactory()

    admin_client.post(admin_url(Budget, "delete", budget.pk), {"post": "yes"})
    admin_client.post(
        admin_url(Budget, "changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )

    assert not Budget.objects.exists()
    assert AuditLog.objects.filter(action="budget.delete", actor=admin_user).count() == 2

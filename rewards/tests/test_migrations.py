"""The data migrations: a programme for every existing customer, and the seed settings."""

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from accounts.tests.test_admin import admin_url
from rewards.models import EarningRule, PointsEntry, RedemptionRate, RewardProgramme
from rewards.tests.factories import PointsEntryFactory

programmes_migration = importlib.import_module(
    "rewards.migrations.0002_programmes_for_existing_customers"
)


@pytest.mark.django_db
def test_every_customer_without_a_programme_gets_one_and_staff_none(staff):
    customers = [UserFactory() for _ in range(3)]
    already = RewardProgramme.objects.create(user=customers[0], name="Kept")

    programmes_migration.create_programmes(apps, None)
    programmes_migration.create_programmes(apps, None)

    assert set(RewardProgramme.objects.values_list("user_id", flat=True)) == {
        customer.pk for customer in customers
    }
    assert RewardProgramme.objects.get(pk=already.pk).name == "Kept"


@pytest.mark.django_db
def test_going_back_removes_the_empty_programmes_only():
    kept, removed = UserFactory(), UserFactory()
    programmes_migration.create_programmes(apps, None)
    PointsEntryFactory(programme=RewardProgramme.objects.get(user=kept))

    programmes_migration.remove_empty_programmes(apps, None)

    assert list(RewardProgramme.objects.values_list("user_id", flat=True)) == [kept.pk]
    assert not RewardProgramme.objects.filter(user=removed).exists()


@pytest.mark.django_db(transaction=True)
def test_the_migrations_run_backwards_and_forwards():
    customer = UserFactory()
    call_command("migrate", "rewards", "0001", verbosity=0)
    assert not RewardProgramme.objects.exists()
    assert not RedemptionRate.objects.exists()

    call_command("migrate", "rewards", verbosity=0)

    assert RewardProgramme.objects.get().user == customer
    # The seed: rates to redeem at; no earning rule (staff decide).
    assert set(RedemptionRate.objects.values_list("currency", flat=True)) == {"EUR", "USD", "GBP"}
    assert not EarningRule.objects.exists()
    assert not PointsEntry.objects.exists()


@pytest.mark.django_db
def test_a_customer_added_in_the_admin_gets_a_programme(admin_client):
    response = admin_client.post(
        admin_url(User, "add"),
        {
            "email": "walk-in@example.com",
            "full_name": "Walk In",
            "phone": "",
            "role": "customer",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert RewardProgramme.objects.filter(user__email="walk-in@example.com").count() == 1

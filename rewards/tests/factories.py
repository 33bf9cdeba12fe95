import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from rewards.models import EarningRule, PointsEntry, PointsSource, RedemptionRate, RewardProgramme
from transactions.tests.factories import default_category


class RewardProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RewardProgramme
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory)


class PointsEntryFactory(factory.django.DjangoModelFactory):
    """An entry written straight to the ledger, to set up a balance (a staff adjustment)."""

    class Meta:
        model = PointsEntry

    programme = factory.SubFactory(RewardProgrammeFactory)
    points = 1000
    reason = "Welcome bonus"
    source = PointsSource.ADJUSTMENT


class EarningRuleFactory(factory.django.DjangoModelFactory):
    """A category_spend rule: 1 point per 1.00 spent on groceries, from 2025-01-01."""

    class Meta:
        model = EarningRule
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = EarningRule.Kind.CATEGORY_SPEND
    points = Decimal("1.00")
    active = True
    starts_on = datetime.date(2025, 1, 1)

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):
        if not create or obj.kind != EarningRule.Kind.CATEGORY_SPEND:
            return
        obj.categories.set(extracted if extracted is not None else [default_category("groceries")])


class BillRuleFactory(EarningRuleFactory):
    kind = EarningRule.Kind.BILL_ON_TIME
    points = Decimal("50.00")


class RedemptionRateFactory(factory.django.DjangoModelFactory):
    """100 points buy 1.00 EUR; at least 500 points a time (as the seed data says)."""

    class Meta:
        model = RedemptionRate
        django_get_or_create = ("currency",)

    currency = "EUR"
    points_per_unit = 100
    minimum_points = 500

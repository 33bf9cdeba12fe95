import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import UserFactory
from budgets.models import Budget
from transactions.tests.factories import default_category


class BudgetFactory(factory.django.DjangoModelFactory):
    """A budget as budget_create makes it: the first of a month, in the user's base currency."""

    class Meta:
        model = Budget

    user = factory.SubFactory(UserFactory)
    category = factory.LazyFunction(lambda: default_category("groceries"))
    month = datetime.date(2025, 3, 1)
    amount = Decimal("400.00")
    currency = factory.SelfAttribute("user.base_currency")

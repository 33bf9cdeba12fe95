import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import BankAccountFactory
from transactions.models import Category, Transaction
from transactions.services import transaction_create


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    user = None
    name = factory.Sequence(lambda n: f"Own category {n}")
    slug = factory.Sequence(lambda n: f"own-category-{n}")


def default_category(slug: str) -> Category:
    return Category.objects.get(slug=slug, user=None)


class TransactionFactory(factory.django.DjangoModelFactory):
    """Goes through the ledger service, so balances stay equal to opening + sum."""

    class Meta:
        model = Transaction

    account = factory.SubFactory(BankAccountFactory)
    amount = Decimal("-25.00")
    txn_date = datetime.date(2025, 3, 14)
    description = factory.Sequence(lambda n: f"Card payment {n}")
    merchant = "Corner Shop"
    category = factory.LazyFunction(lambda: default_category("groceries"))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        account = kwargs.pop("account")
        kwargs.pop("user", None)
        return transaction_create(user=account.user, account=account, **kwargs)

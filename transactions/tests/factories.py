import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import BankAccountFactory
from transactions.models import Category, ImportBatch, ImportProfile, Transaction
from transactions.services import transaction_create


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    user = None
    name = factory.Sequence(lambda n: f"Own category {n}")
    slug = factory.Sequence(lambda n: f"own-category-{n}")


def default_category(slug: str) -> Category:
    # get_or_create: a transactional test's flush removes what the data migration made.
    category, _ = Category.objects.get_or_create(
        slug=slug, user=None, defaults={"name": slug.title()}
    )
    return category


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


class ImportBatchFactory(factory.django.DjangoModelFactory):
    """A finished import of a small file; its rows are for the test to add."""

    class Meta:
        model = ImportBatch

    account = factory.SubFactory(BankAccountFactory)
    user = factory.SelfAttribute("account.user")
    filename = "statement.csv"
    format = "csv"
    file_data = b"Date,Amount\n2025-03-01,-12.50\n"
    file_size = factory.LazyAttribute(lambda batch: len(batch.file_data))
    file_sha256 = "0" * 64
    status = ImportBatch.Status.DONE


class ImportProfileFactory(factory.django.DjangoModelFactory):
    """An account's saved CSV mapping: amounts in two columns, money in then money out."""

    class Meta:
        model = ImportProfile

    account = factory.SubFactory(BankAccountFactory)
    user = factory.SelfAttribute("account.user")
    name = "Corner Bank export"
    format = "csv"
    mapping = factory.LazyFunction(
        lambda: {"delimiter": ";", "date_column": 0, "credit_column": 2, "debit_column": 3}
    )

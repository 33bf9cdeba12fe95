import datetime
from decimal import Decimal

import factory

from accounts.tests.factories import BankAccountFactory, UserFactory
from bills.models import Bill, Recurrence
from bills.services import bill_create


class BillFactory(factory.django.DjangoModelFactory):
    """A bill made through bill_create, so it is checked like any other."""

    class Meta:
        model = Bill

    user = factory.SubFactory(UserFactory)
    biller = "City Power"
    amount_due = Decimal("60.00")
    currency = "EUR"
    due_date = datetime.date(2025, 3, 10)
    recurrence = Recurrence.MONTHLY
    autopay = False
    account = None
    category = None
    notice_days = 3

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        account = kwargs.get("account")
        if account is not None:
            kwargs["user"] = account.user
        return bill_create(**kwargs)


def bill_with_account(**kwargs) -> Bill:
    """A bill paid from a fresh EUR checking account of its user holding 1000.00."""
    account = kwargs.pop("account", None) or BankAccountFactory(
        **({"user": kwargs.pop("user")} if "user" in kwargs else {})
    )
    return BillFactory(account=account, **kwargs)

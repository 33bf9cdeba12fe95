import datetime
from decimal import Decimal

import factory

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from insights.models import Export
from transactions.models import Transaction
from transactions.services import transactions_bulk_create

# A Thursday; the factories' users live in Europe/London, where it is 2025-04-10 too.
NOW = datetime.datetime(2025, 4, 10, 12, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


class ExportFactory(factory.django.DjangoModelFactory):
    """A statement request waiting for its task; the tests run the task to make it."""

    class Meta:
        model = Export

    account = factory.SubFactory(BankAccountFactory)
    user = factory.SelfAttribute("account.user")
    date_from = datetime.date(2025, 3, 1)
    date_to = datetime.date(2025, 3, 31)
    currency = factory.SelfAttribute("account.currency")
    filename = "statement-4444-2025-03-01-to-2025-03-31.pdf"


def add_rows(
    account: BankAccount,
    rows: list[tuple[datetime.date, Decimal]],
    *,
    description: str = "Card payment {n}",
    **fields,
) -> list[Transaction]:
    """Many (txn_date, amount) rows through the ledger's bulk insert, numbered in order."""
    return transactions_bulk_create(
        account=account,
        rows=[
            {"txn_date": day, "amount": amount, "description": description.format(n=n), **fields}
            for n, (day, amount) in enumerate(rows)
        ],
    )

from decimal import Decimal

from transactions.services import ledger_differences
from transactions.tests.factories import TransactionFactory


def test_factory_transaction_keeps_the_ledger(db):
    txn = TransactionFactory(amount=Decimal("-40.00"))
    txn.account.refresh_from_db()
    assert txn.account.balance == Decimal("960.00")
    assert ledger_differences() == []

"""What follows a ledger write: bills it pays, points it earns, alerts it raises.

The ledger (``transactions.services``, ``transactions.imports``, ``transactions.rule_services``)
calls ``transactions_written`` explicitly, in the same database transaction as the rows, so
the flow reads top to bottom and a rolled-back write leaves no bill paid, no points and no
alert behind. The apps it calls sit above ``transactions`` (they import the ledger), so they
are imported here, inside the function, never at module level.

Every step is batched: an import of 100,000 rows calls each once with all of them, and each
runs a fixed number of queries whatever the number of rows.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from accounts.models import BankAccount, User
from smartbank.bulk import chunked
from transactions.models import Transaction

# Set while a writer records history out of order (the demo generator writes each account's
# rows before the transfers that fund them), when a balance on the way is not a balance
# the customer ever had. The writer runs the follow-ups itself once the history is whole.
_paused: ContextVar[bool] = ContextVar("followups_paused", default=False)


@contextmanager
def followups_paused() -> Iterator[None]:
    """Skip transactions_written inside the block; the caller follows up afterwards."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def transactions_written(
    *,
    user: User,
    transactions: Sequence[Transaction],
    accounts: Iterable[BankAccount] = (),
) -> None:
    """Run every follow-up of new or changed rows of one customer.

    ``transactions`` are the rows written (new, or changed in amount, date or category);
    ``accounts`` the accounts whose balance moved (low balance is about balances, so a
    transfer or a deletion passes its accounts with no rows).
    """
    if _paused.get():
        return
    from alerts.evaluators import large_transactions_check, low_balance_check
    from alerts.unusual import unusual_spending_check
    from bills.services import bills_match_transactions
    from budgets.services import budget_alerts_check
    from rewards.services import points_earn_for_spending

    rows = [txn for txn in transactions if txn.kind != Transaction.Kind.TRANSFER]
    # Bills, points and large amounts are about money going out; budgets count refunds too.
    # Split once here rather than in each step: an import passes 100,000 rows.
    expenses = [txn for txn in rows if txn.amount < 0]
    if expenses:
        # First: a row that pays a bill is that bill's payment, which earns its points.
        bills_match_transactions(user=user, transactions=expenses)
        points_earn_for_spending(user=user, transactions=expenses)
    if rows:
        budget_alerts_check(user=user, transactions=rows)
    if expenses:
        large_transactions_check(user=user, transactions=expenses)
        unusual_spending_check(user=user, transactions=expenses)
    low_balance_check(accounts=accounts)


def categories_changed(*, user: User, transaction_ids: Iterable[int]) -> None:
    """Follow-ups of rows whose category changed: the points and budgets of the new one.

    A new category can put a row into a rewarded category or push a budget past its limit;
    it moves no money, so bills and balances are left alone.
    """
    from budgets.services import budget_alerts_check
    from rewards.services import points_earn_for_spending

    ids = list(transaction_ids)
    rows: list[Transaction] = []
    # In chunks: a rule applied to years of history changes tens of thousands of rows, more
    # than one query may name (SQLite's limit on parameters).
    for chunk in chunked(ids):
        rows.extend(Transaction.objects.filter(pk__in=chunk, user=user).non_transfer())
    if rows:
        points_earn_for_spending(user=user, transactions=rows)
        budget_alerts_check(user=user, transactions=rows)


def transactions_deleting(*, user: User, transaction_ids: Iterable[int]) -> None:
    """What must be undone before rows go: the points their spending earned.

    A bill a deleted row paid needs nothing here: its payment link is cleared with the row
    (SET_NULL), so the bill is unpaid again.
    """
    from rewards.services import points_reverse_for_transactions

    points_reverse_for_transactions(user=user, transaction_ids=list(transaction_ids))

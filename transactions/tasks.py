import logging

from celery import shared_task

from accounts.models import BankAccount
from transactions.imports import import_run
from transactions.services import ledger_differences

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def verify_ledger_task() -> dict[str, int]:
    """The nightly ledger check: log every account whose balance is not opening + sum.

    Read-only, so running it twice (a retry, a crashed worker) does no harm.
    """
    checked = BankAccount.objects.count()
    differences = ledger_differences()
    for diff in differences:
        logger.error(
            "ledger difference on account %s: stored %s, expected %s",
            diff.account_id,
            diff.stored_balance,
            diff.expected_balance,
            extra={"account_id": diff.account_id, "difference": str(diff.difference)},
        )
    return {"checked": checked, "differences": len(differences)}


@shared_task(acks_late=True)
def import_run_task(batch_id: int) -> str:
    """Run one statement import. A batch that already ran is left as it is (safe to repeat)."""
    return import_run(batch_id=batch_id).status

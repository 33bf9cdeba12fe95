from django.core.management.base import BaseCommand, CommandError

from accounts.models import BankAccount
from transactions.services import ledger_differences


class Command(BaseCommand):
    help = (
        "Checks every account: opening balance + sum of its transactions must equal its "
        "stored balance. Exits non-zero on any difference."
    )

    def handle(self, *args, **options):
        checked = BankAccount.objects.count()
        differences = ledger_differences()
        for diff in differences:
            self.stderr.write(
                f"account {diff.account_id} ({diff.account_name}): stored {diff.stored_balance}, "
                f"expected {diff.expected_balance}, off by {diff.difference}"
            )
        if differences:
            raise CommandError(
                f"Ledger check failed: {len(differences)} of {checked} accounts do not balance."
            )
        self.stdout.write(self.style.SUCCESS(f"Ledger OK: {checked} accounts balance."))

import time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import BankAccount, User
from smartbank.demo import PROFILES, DemoSize, seed_demo
from transactions.models import Transaction
from transactions.services import ledger_differences


class Command(BaseCommand):
    help = (
        "Creates the demo data: three customers with two years of history across several "
        "accounts and currencies, and one staff user per role. Safe to run again: customers "
        "who already have accounts are left as they are. Prints the logins."
    )

    def add_arguments(self, parser):
        defaults = DemoSize()
        parser.add_argument(
            "--customers",
            type=int,
            default=defaults.customers,
            help=f"How many customers (default {defaults.customers}; profiles repeat "
            f"every {len(PROFILES)}).",
        )
        parser.add_argument(
            "--months",
            type=int,
            default=defaults.months,
            help=f"Months of history up to today (default {defaults.months}).",
        )
        parser.add_argument(
            "--per-month",
            type=int,
            default=defaults.transactions_per_month,
            help="Day-to-day payments per customer per month, besides salaries, bills and "
            f"transfers (default {defaults.transactions_per_month}).",
        )

    def handle(self, *args, customers, months, per_month, **options):
        for name, value in (("customers", customers), ("months", months)):
            if value < 1:
                raise CommandError(f"--{name} must be at least 1.")
        if per_month < 0:
            raise CommandError("--per-month cannot be negative.")

        started = time.monotonic()
        result = seed_demo(
            DemoSize(customers=customers, months=months, transactions_per_month=per_month)
        )
        differences = ledger_differences()
        if differences:
            raise CommandError(
                f"The ledger does not balance for {len(differences)} accounts after seeding; "
                "run manage.py verify_ledger."
            )

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f}s: "
                f"{result.customers_created} customers created, "
                f"{result.customers_kept} already there and left as they were. "
                f"The database holds {User.objects.count()} users, "
                f"{BankAccount.objects.count()} accounts and "
                f"{Transaction.objects.count()} transactions."
            )
        )
        rows = [("role", "email", "password", "who")] + [
            (login.role, login.email, login.password, login.who) for login in result.logins
        ]
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        rows.insert(1, tuple("-" * width for width in widths))
        for row in rows:
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from accounts.models import BankAccount
from transactions import imports
from transactions.importing.base import StatementError

FORMATS = ("csv", "ofx", "qfx", "qif", "camt053")


class Command(BaseCommand):
    help = (
        "Imports a statement file into an account, exactly as the API does (same services), "
        "with a progress bar. Rows already imported are counted as duplicates, not added again."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV, OFX/QFX, QIF or CAMT.053 file")
        parser.add_argument("--account", type=int, required=True, help="bank account id")
        parser.add_argument("--format", choices=FORMATS, help="skip format detection")
        parser.add_argument(
            "--mapping", help='CSV mapping overrides as JSON, e.g. {"date_column": 0}'
        )
        parser.add_argument(
            "--account-map", help='file account number -> account id, as JSON, e.g. {"DE12...": 3}'
        )
        order = parser.add_mutually_exclusive_group()
        order.add_argument("--day-first", action="store_true", help="03/04 is 3 April")
        order.add_argument("--month-first", action="store_true", help="03/04 is 4 March")
        parser.add_argument("--dry-run", action="store_true", help="show what the file holds")

    def handle(self, *args, **options):
        account = BankAccount.objects.filter(pk=options["account"]).select_related("user").first()
        if account is None:
            raise CommandError(f"No bank account with id {options['account']}.")
        try:
            data = options["file"].read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc.strerror}.") from None
        mapping = _json_option(options["mapping"], "--mapping")
        if options["day_first"] or options["month_first"]:
            mapping["day_first"] = bool(options["day_first"])
        common = {
            "user": account.user,
            "account": account,
            "filename": options["file"].name,
            "data": data,
            "format": options["format"] or "",
            "mapping": mapping,
        }
        account_map = _json_option(options["account_map"], "--account-map")
        try:
            if options["dry_run"]:
                preview = imports.import_preview(account_map=account_map, **common)
                self.stdout.write(json.dumps(preview, indent=2, ensure_ascii=False))
                return
            batch = imports.import_create(options={"account_map": account_map}, **common)
        except (StatementError, ValidationError) as exc:
            raise CommandError(_message(exc)) from None

        with tqdm(total=100, unit="%", desc=options["file"].name, file=self.stderr) as bar:

            def advance(percent: int) -> None:
                bar.update(percent - bar.n)

            batch = imports.import_run(batch_id=batch.pk, on_progress=advance)
        if batch.status == batch.Status.FAILED:
            raise CommandError(f"Import #{batch.pk} failed, nothing was imported: {batch.error}")
        self.stdout.write(
            f"Import #{batch.pk}: read {batch.rows_read}, created {batch.rows_created}, "
            f"duplicates {batch.rows_duplicate}, matched {batch.rows_matched}, "
            f"skipped {batch.rows_skipped}, rejected {batch.rows_rejected}."
        )
        for problem in batch.problems:
            self.stdout.write(
                f"  line {problem['line']}: {problem['outcome']}: {problem['reason']}"
            )
        for entry in batch.reconciliation:
            verdict = "agrees" if entry["agrees"] else f"differs by {entry['difference']}"
            self.stdout.write(
                f"  statement balance {entry['statement_balance']} on {entry['date']}: "
                f"the account {verdict}."
            )


def _json_option(raw: str | None, name: str) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise CommandError(f"{name} is not valid JSON: {exc}.") from None
    if not isinstance(value, dict):
        raise CommandError(f"{name} must be a JSON object.")
    return value


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)

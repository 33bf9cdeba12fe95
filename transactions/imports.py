"""Statement import: every write an import makes, each bank row recorded exactly once.

Flow: ``import_create`` keeps the uploaded file on an ImportBatch and queues
``import_run`` (a Celery task in production, inline on the embedded default). ``import_run``
parses the file, maps each account in it to one of the customer's accounts, and for each row:

- refuses it (``rejected``) when its date or amount cannot be read,
- skips it when it is pending or in another currency than the account,
- counts it a ``duplicate`` when its fingerprint is already on the account,
- ``matches`` it to an entry made in SmartBank (same account and amount, date within
  MATCH_WINDOW_DAYS, not yet linked to a bank row) by giving that entry the row's fingerprint,
- otherwise adds it, in bulk, with one balance update per account (transactions.services).

Invariants: a fingerprint is unique per account (a database constraint), so importing a
file twice adds nothing the second time; balances move only through the ledger service; a
problem with the file as a whole writes nothing.
"""

import gc
import hashlib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction as db_transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import BankAccount, User
from accounts.services import account_update, audit_record
from smartbank.bulk import chunked
from smartbank.dates import BOOKING_DAYS_AHEAD, check_date_range
from smartbank.money import MONEY_MAX, quantize_money
from transactions.followups import transactions_written
from transactions.importing.base import ParsedRow, ParsedStatement, StatementError
from transactions.importing.csv_parser import validate_mapping as validate_csv_mapping
from transactions.importing.detect import detect_format, parse_statement
from transactions.models import CategorySource, ImportBatch, ImportProfile, Transaction
from transactions.rule_services import category_changes_for_new
from transactions.rules import RuleSet, compile_rules
from transactions.services import (
    transactions_bulk_create,
    transactions_bulk_delete,
    transfer_link,
)

logger = logging.getLogger(__name__)

# A bank books a card payment a few days after it was made in SmartBank.
MATCH_WINDOW_DAYS = 4
# Two legs of one transfer between banks arrive within a few days of each other.
TRANSFER_WINDOW_DAYS = 3
PREVIEW_ROWS = 20
# Fingerprints looked up per IN (...) query.
FINGERPRINT_CHUNK = 5000
# Up to this many times as many fingerprinted rows on the account as in the file, reading
# them all is cheaper than looking the file's up.
FETCH_ALL_FINGERPRINTS_FACTOR = 4
# The share of the progress bar each stage ends at: reading the file, then planning, then
# writing the rows (in steps), then the follow-ups; 100 once it is committed.
PROGRESS_READ = 30
PROGRESS_PLANNED = 40
PROGRESS_WRITTEN = 95
# How many times the bar moves while the rows are written.
PROGRESS_WRITE_STEPS = 20
# How long a running import's live progress is kept (longer than any import runs).
LIVE_PROGRESS_SECONDS = 60 * 60


# --- Fingerprints ---------------------------------------------------------------------


def row_fingerprint(row: ParsedRow, occurrence: int) -> str:
    """The bank's own id where the file gives one, else a stable hash of the row.

    ``occurrence`` tells apart identical rows in one file (two coffees on one day): the
    n-th such row in a file is the n-th in any overlapping file from the same bank too.
    Fingerprints are stored: the same row must give the same one for as long as they are.
    """
    # Rounded, so "-62.3" and "-62.30" from two exports of one bank are the same row.
    return _fingerprint(row, quantize_money(row.amount), occurrence)


def _fingerprint(row: ParsedRow, amount: Decimal, occurrence: int) -> str:
    if row.external_id:
        key = f"id|{row.external_id.strip()}"
    else:
        # Spaces collapsed and trimmed: str.split() splits on what \s matches.
        description = " ".join(f"{row.description} {row.merchant}".split()).lower()
        key = f"row|{row.txn_date.isoformat()}|{amount}|{description}|{occurrence}"
    return hashlib.sha256(key.encode()).hexdigest()


# --- Account mapping ------------------------------------------------------------------


def _digits_tail(ref: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9]", "", ref or "")
    return cleaned[-4:].upper()


def map_accounts(
    *, statement: ParsedStatement, user: User, default_account: BankAccount, account_map: dict
) -> dict[str, BankAccount | None]:
    """Each account reference in the file -> one of the user's accounts (or None: not mapped).

    The request's account_map wins; else the number's last four digits where exactly one of
    the user's accounts has them; else, for a one-account file, the account the import names.
    """
    refs = {row.account_ref for row in statement.rows} | {a.ref for a in statement.accounts}
    refs = {ref for ref in refs if ref} or {""}
    # Archived accounts take no rows: theirs are skipped as not mapped.
    own = {account.pk: account for account in BankAccount.objects.for_user(user).active()}
    by_last4: dict[str, list[BankAccount]] = defaultdict(list)
    for account in own.values():
        if account.number_last4:
            by_last4[account.number_last4.upper()].append(account)
    mapping: dict[str, BankAccount | None] = {}
    for ref in refs:
        wanted = account_map.get(ref) if account_map else None
        if wanted is not None:
            mapping[ref] = own.get(int(wanted))
            continue
        candidates = by_last4.get(_digits_tail(ref), []) if ref else []
        if len(candidates) == 1:
            mapping[ref] = candidates[0]
        elif len(refs) == 1:
            mapping[ref] = default_account
        else:
            mapping[ref] = None
    return mapping


# --- Planning (no writes) -------------------------------------------------------------


@dataclass
class ImportPlan:
    """What importing a parsed statement would do, worked out before anything is written."""

    new_rows: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    matches: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    rows_read: int = 0
    duplicates: int = 0
    skipped: int = 0
    rejected: int = 0

    def problem(self, row: ParsedRow, outcome: str, reason: str) -> None:
        self.problems.append({"line": row.line, "outcome": outcome, "reason": reason})
        if outcome == "skipped":
            self.skipped += 1
        else:
            self.rejected += 1


def plan_import(
    *, statement: ParsedStatement, accounts: dict[str, BankAccount | None]
) -> ImportPlan:
    """Sort every row into new, duplicate, matched, skipped or rejected, reading in bulk."""
    plan = ImportPlan(rows_read=len(statement.rows))
    occurrences: dict[tuple, int] = defaultdict(int)
    candidate_rows: dict[int, list[tuple[ParsedRow, Decimal, str]]] = defaultdict(list)
    only = next(iter(accounts.values())) if len(accounts) == 1 else None
    owner = next((a.user for a in accounts.values() if a is not None), None)
    today = owner.today() if owner is not None else timezone.now().date()
    for row in statement.rows:
        account = accounts.get(row.account_ref) if row.account_ref else only
        if account is None:
            plan.problem(
                row,
                "skipped",
                f"Account {row.account_ref or '(unnamed)'} in the file is not mapped to one of "
                "your accounts.",
            )
            continue
        if not row.is_valid:
            plan.problem(row, "rejected", row.error or "The date or amount cannot be read.")
            continue
        if row.pending:
            plan.problem(row, "skipped", "Pending: the bank has not booked it yet.")
            continue
        if row.currency and row.currency.upper() != account.currency:
            plan.problem(
                row,
                "skipped",
                f"In {row.currency.upper()}, but {account.name} is in {account.currency}.",
            )
            continue
        if row.txn_date < account.opening_date:
            plan.problem(
                row,
                "rejected",
                f"Dated {row.txn_date}, before {account.name} opened on {account.opening_date}; "
                "move the account's opening date back to import it.",
            )
            continue
        try:
            check_date_range(
                row.txn_date, field="txn_date", today=today, days_ahead=BOOKING_DAYS_AHEAD
            )
        except ValidationError as exc:
            plan.problem(row, "rejected", exc.messages[0])
            continue
        amount = quantize_money(row.amount)
        if amount == 0:
            plan.problem(row, "skipped", "The amount is zero: nothing moved.")
            continue
        if abs(row.amount) > MONEY_MAX:
            plan.problem(row, "rejected", f"The amount {row.amount} is too large.")
            continue
        key = (account.pk, row.txn_date, row.amount, row.description, row.merchant, row.external_id)
        occurrence = occurrences[key]
        occurrences[key] = occurrence + 1
        candidate_rows[account.pk].append((row, amount, _fingerprint(row, amount, occurrence)))

    for account_id, rows in candidate_rows.items():
        _plan_account(plan, account_id, rows)
    return plan


def existing_fingerprints(account_id: int, fingerprints: list[str]) -> set[str]:
    """Those of ``fingerprints`` already on the account, in few queries.

    When the account holds no more fingerprinted rows than a few times the file's, all of
    them are read (one indexed query, no parameters): far cheaper than sending a hundred
    thousand fingerprints back to the database to look up. A large account gets a short
    statement's fingerprints looked up in chunks.
    """
    on_account = Transaction.objects.filter(account_id=account_id).exclude(fingerprint="")
    wanted = set(fingerprints)
    if on_account.count() <= FETCH_ALL_FINGERPRINTS_FACTOR * len(wanted):
        return wanted.intersection(on_account.values_list("fingerprint", flat=True))
    existing: set[str] = set()
    for chunk in chunked(fingerprints, FINGERPRINT_CHUNK):
        existing.update(
            on_account.filter(fingerprint__in=chunk).values_list("fingerprint", flat=True)
        )
    return existing


def _plan_account(
    plan: ImportPlan, account_id: int, rows: list[tuple[ParsedRow, Decimal, str]]
) -> None:
    existing = existing_fingerprints(account_id, [fingerprint for _, _, fingerprint in rows])
    first = min(row.txn_date for row, _, _ in rows) - timedelta(days=MATCH_WINDOW_DAYS)
    last = max(row.txn_date for row, _, _ in rows) + timedelta(days=MATCH_WINDOW_DAYS)
    # Entries made in SmartBank that no bank row has claimed yet, by amount.
    unlinked: dict[Decimal, list[tuple[int, date]]] = defaultdict(list)
    for pk, amount, txn_date in (
        Transaction.objects.filter(
            account_id=account_id,
            fingerprint="",
            import_batch__isnull=True,
            txn_date__range=(first, last),
        )
        .order_by("txn_date", "pk")
        .values_list("pk", "amount", "txn_date")
    ):
        unlinked[amount].append((pk, txn_date))

    seen: set[str] = set()
    new_rows: list[dict[str, Any]] = []
    for row, amount, fingerprint in rows:
        if fingerprint in existing or fingerprint in seen:
            plan.duplicates += 1
            continue
        seen.add(fingerprint)
        candidates = unlinked.get(amount)
        match = _closest(candidates, row.txn_date) if candidates else None
        if match is not None:
            unlinked[amount].remove(match)
            plan.matches.append(
                (
                    match[0],
                    {
                        "fingerprint": fingerprint,
                        "external_id": row.external_id[:255],
                        "posted_date": row.posted_date or row.txn_date,
                    },
                )
            )
            continue
        new_rows.append(
            {
                "amount": amount,
                "txn_date": row.txn_date,
                "posted_date": row.posted_date
                if row.posted_date and row.posted_date >= row.txn_date
                else None,
                "description": row.description[:255],
                "merchant": row.merchant[:255],
                "external_id": row.external_id[:255],
                "fingerprint": fingerprint,
            }
        )

    if new_rows:
        plan.new_rows[account_id] = new_rows


def _closest(candidates: list[tuple[int, date]], day: date) -> tuple[int, date] | None:
    in_window = [c for c in candidates if abs((c[1] - day).days) <= MATCH_WINDOW_DAYS]
    return min(in_window, key=lambda c: (abs((c[1] - day).days), c[0])) if in_window else None


# --- Writing --------------------------------------------------------------------------


def import_create(
    *,
    user: User,
    account: BankAccount,
    filename: str,
    data: bytes,
    format: str = "",
    mapping: dict | None = None,
    options: dict | None = None,
) -> ImportBatch:
    """Keep an uploaded statement on a new batch; the caller queues import_run for it."""
    check_upload(data, filename=filename, format=format)
    check_import_account(account=account, user=user)
    if mapping:
        mapping = _clean_mapping(mapping)
    if not mapping:
        profile = ImportProfile.objects.filter(account=account).first()
        mapping = profile.mapping if profile else {}
    return ImportBatch.objects.create(
        user=user,
        account=account,
        filename=(filename or "")[:255],
        format=format or "",
        file_data=data,
        file_size=len(data),
        file_sha256=hashlib.sha256(data).hexdigest(),
        mapping=mapping or {},
        options=options or {},
    )


def check_import_account(*, account: BankAccount, user: User) -> None:
    if account.user_id != user.pk:
        raise ValidationError({"account": "Account not found."})
    if account.is_archived:
        raise ValidationError(
            {"account": f"{account.name} is archived; unarchive it to import into it."}
        )


def clean_csv_mapping(mapping: Any) -> dict[str, Any]:
    """The mapping as the CSV parser accepts it, or ValidationError({"mapping": ...}).

    ``columns`` (the header names a dry run shows) is display only, so it is not kept.
    """
    if not isinstance(mapping, dict):
        raise ValidationError({"mapping": 'Send a JSON object, e.g. {"date_column": 0}.'})
    try:
        cleaned = validate_csv_mapping(mapping)
    except StatementError as exc:
        raise ValidationError({"mapping": str(exc)}) from None
    cleaned.pop("columns", None)
    return cleaned


def _clean_mapping(mapping: dict) -> dict:
    """Check a mapping before the batch is kept, so a bad one is a 400, not a failed batch.

    day_first alone also settles the date order of a QIF file, so it passes as it is.
    """
    if set(mapping) <= {"day_first"}:
        return mapping
    return clean_csv_mapping(mapping)


def check_upload_size(size: int) -> None:
    if not size:
        raise ValidationError({"file": "The file is empty."})
    limit = settings.IMPORT_MAX_FILE_BYTES
    if size > limit:
        raise ValidationError(
            {"file": f"The file is {size} bytes; statements may be at most {limit} bytes."}
        )


def check_upload(data: bytes, *, filename: str = "", format: str = "") -> None:
    """Refuse at once what can never import: empty, oversize, or no statement at all.

    Only the format is sniffed here; a file that breaks further in is reported by its batch.
    """
    check_upload_size(len(data))
    if not format:
        try:
            detect_format(data, filename=filename)
        except StatementError as exc:
            raise ValidationError({"file": str(exc)}) from None


def parse_batch_file(batch: ImportBatch) -> ParsedStatement:
    return parse_statement(
        bytes(batch.file_data),
        filename=batch.filename,
        format=batch.format or None,
        mapping=batch.mapping or None,
    )


def import_run(*, batch_id: int, on_progress: Callable[[int], None] | None = None) -> ImportBatch:
    """Run one batch. Safe to repeat: a batch that is not pending is left as it is.

    ``on_progress`` is told the percentage done as it grows (the command's progress bar).
    """
    with db_transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != ImportBatch.Status.PENDING:
            return batch
        batch.status = ImportBatch.Status.RUNNING
        batch.started_at = timezone.now()
        batch.save(update_fields=["status", "started_at"])
    with collector_paused():
        return _run(batch, on_progress)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector for the length of the block.

    A large import holds millions of small objects (parsed rows, row dicts, the new
    Transactions) that all live until it ends; the collector would walk them again and
    again as they pile up, a quarter of the time of a 100,000-row import. An import leaves
    no cycles that must go at once: reference counting frees what it drops, and the
    collector runs again (and catches up) when the block ends.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _run(batch: ImportBatch, on_progress: Callable[[int], None] | None) -> ImportBatch:
    try:
        statement = parse_batch_file(batch)
    except StatementError as exc:
        return _finish_failed(batch, str(exc))
    if statement.date_order_ambiguous and (batch.mapping or {}).get("day_first") is None:
        return _finish_failed(
            batch,
            "Every date in the file could be read day-first or month-first; import it again "
            "with day_first true or false. Nothing was imported.",
        )
    _set_progress(batch, PROGRESS_READ, on_progress)
    try:
        with db_transaction.atomic():
            _write(batch, statement, on_progress)
    except ValidationError as exc:
        return _finish_failed(batch, "; ".join(exc.messages))
    return batch


# What _write sets on a batch.
BATCH_RESULT_FIELDS = (
    "rows_read",
    "rows_created",
    "rows_duplicate",
    "rows_matched",
    "rows_skipped",
    "rows_rejected",
    "problems",
    "matched_ids",
    "mapping",
    "format",
    "reconciliation",
    "transfer_candidates",
    "status",
    "progress",
    "finished_at",
)


def _write(
    batch: ImportBatch, statement: ParsedStatement, on_progress: Callable[[int], None] | None
) -> None:
    accounts = map_accounts(
        statement=statement,
        user=batch.user,
        default_account=batch.account,
        account_map=batch.options.get("account_map") or {},
    )
    plan = plan_import(statement=statement, accounts=accounts)
    _live_progress(batch, PROGRESS_PLANNED, on_progress)
    # Rules are compiled once and run in memory on every new row (no query per row).
    rules = compile_rules(batch.user)
    created: list[Transaction] = []
    touched: list[BankAccount] = []
    count_row = _row_counter(batch, sum(len(rows) for rows in plan.new_rows.values()), on_progress)
    for account_id, rows in plan.new_rows.items():
        account = BankAccount.objects.get(pk=account_id)
        touched.append(account)
        for row in rows:
            row["import_batch"] = batch
        # The rules run on each row as it is written, while the database stores the rows
        # before it.
        account_created = transactions_bulk_create(
            account=account,
            rows=rows,
            prepare_row=_each_row(row_categoriser(rules, account_id=account_id), count_row),
        )
        category_changes_for_new(user=batch.user, transactions=account_created)
        created.extend(account_created)
    _live_progress(batch, PROGRESS_WRITTEN, on_progress)
    # Bills the new rows pay, points they earn, alerts they raise: all batched, and only
    # recent rows raise alerts, so importing years of history does not flood the customer.
    transactions_written(user=batch.user, transactions=created, accounts=touched)
    if plan.matches:
        matched = Transaction.objects.in_bulk([pk for pk, _ in plan.matches])
        # Kept so that undo can give each entry back the posted date it had.
        batch.matched_ids = [
            [pk, matched[pk].posted_date.isoformat() if matched[pk].posted_date else None]
            for pk, _ in plan.matches
        ]
        for pk, link in plan.matches:
            for name, value in link.items():
                setattr(matched[pk], name, value)
        Transaction.objects.bulk_update(
            matched.values(), ["fingerprint", "external_id", "posted_date"], batch_size=1000
        )
    batch.rows_read = plan.rows_read
    batch.rows_created = sum(len(rows) for rows in plan.new_rows.values())
    batch.rows_duplicate = plan.duplicates
    batch.rows_matched = len(plan.matches)
    batch.rows_skipped = plan.skipped
    batch.rows_rejected = plan.rejected
    # What the parser passed over (footer lines, repeated headers) is listed too: never a
    # silent drop.
    batch.problems = plan.problems + [
        {"line": None, "outcome": "note", "reason": warning} for warning in statement.warnings
    ]
    batch.mapping = statement.mapping or batch.mapping
    batch.format = statement.format
    batch.reconciliation = reconciliation_report(statement=statement, accounts=accounts)
    batch.transfer_candidates = transfer_candidates(batch=batch, created=created)
    if batch.options.get("save_profile") and statement.mapping:
        import_profile_save(
            account=batch.account, format=statement.format, mapping=statement.mapping
        )
    batch.status = ImportBatch.Status.DONE
    batch.progress = 100
    batch.finished_at = timezone.now()
    # Not the whole row: the file it holds (megabytes) has not changed.
    batch.save(update_fields=BATCH_RESULT_FIELDS)
    db_transaction.on_commit(lambda: cache.delete(live_progress_key(batch.pk)))
    if on_progress:
        on_progress(100)


def row_categoriser(rules: RuleSet, *, account_id: int) -> Callable[[dict[str, Any]], None] | None:
    """What runs the rules over one new row of the account, in place (RuleSet.apply_to_row);
    None when there are no rules."""
    if not rules:
        return None
    apply_to_row = rules.apply_to_row

    def categorise(row: dict[str, Any]) -> None:
        row["account_id"] = account_id
        apply_to_row(row)
        del row["account_id"]

    return categorise


def _set_progress(
    batch: ImportBatch, percent: int, on_progress: Callable[[int], None] | None
) -> None:
    batch.progress = percent
    ImportBatch.objects.filter(pk=batch.pk).update(progress=percent)
    if on_progress:
        on_progress(percent)


# The rows are written in one database transaction, which hides any progress it stores until
# it commits; so the progress made inside it is kept in the cache (Redis in production,
# shared by the workers and the web), where batch_progress() reads it.


def live_progress_key(batch_id: int) -> str:
    return f"transactions:import-progress:{batch_id}"


def _live_progress(
    batch: ImportBatch, percent: int, on_progress: Callable[[int], None] | None
) -> None:
    cache.set(live_progress_key(batch.pk), percent, LIVE_PROGRESS_SECONDS)
    if on_progress:
        on_progress(percent)


def _row_counter(
    batch: ImportBatch, total: int, on_progress: Callable[[int], None] | None
) -> Callable[[dict[str, Any]], None]:
    """What counts the rows as they are written and moves the bar PROGRESS_WRITE_STEPS times."""
    step = max(1, -(-total // PROGRESS_WRITE_STEPS))
    done = 0

    def count(row: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        if done % step == 0:
            share = (PROGRESS_WRITTEN - PROGRESS_PLANNED) * done // total
            _live_progress(batch, PROGRESS_PLANNED + share, on_progress)

    return count


def _each_row(
    *calls: Callable[[dict[str, Any]], None] | None,
) -> Callable[[dict[str, Any]], None]:
    """One prepare_row that runs each of ``calls`` (None ones left out) on the row."""
    present = [call for call in calls if call is not None]

    def run(row: dict[str, Any]) -> None:
        for call in present:
            call(row)

    return run


def batch_progress(batch: ImportBatch) -> int:
    """The batch's progress as far as it has got, its rows' transaction not yet committed."""
    if batch.status != ImportBatch.Status.RUNNING:
        return batch.progress
    return max(batch.progress, cache.get(live_progress_key(batch.pk)) or 0)


def _finish_failed(batch: ImportBatch, message: str) -> ImportBatch:
    batch.status = ImportBatch.Status.FAILED
    batch.error = message
    batch.progress = 100
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "error", "progress", "finished_at"])
    cache.delete(live_progress_key(batch.pk))
    return batch


# --- After the import: balances, transfers, undo --------------------------------------


def balance_on(account: BankAccount, day: date) -> Decimal:
    total = account.transactions.filter(txn_date__lte=day).aggregate(total=Sum("amount"))["total"]
    # SQLite sums decimals as floats (10410.32000000002): round the sum back to cents.
    return account.opening_balance + quantize_money(total or 0)


def reconciliation_report(
    *, statement: ParsedStatement, accounts: dict[str, BankAccount | None]
) -> list[dict[str, Any]]:
    """For each account whose closing balance the statement states: does SmartBank agree?"""
    report = []
    only = next(iter(accounts.values())) if len(accounts) == 1 else None
    for parsed in statement.accounts:
        account = accounts.get(parsed.ref) if parsed.ref else only
        if account is None or parsed.closing_balance is None:
            continue
        day = parsed.closing_date or max(
            (row.txn_date for row in statement.rows if row.txn_date), default=None
        )
        if day is None:
            continue
        ours = quantize_money(balance_on(account, day))
        report.append(
            {
                "account": account.pk,
                "ref": parsed.ref,
                "date": day.isoformat(),
                "statement_balance": str(parsed.closing_balance),
                "account_balance": str(ours),
                "difference": str(parsed.closing_balance - ours),
                "agrees": ours == parsed.closing_balance,
            }
        )
    return report


def transfer_candidates(
    *, batch: ImportBatch, created: list[Transaction] | None = None
) -> list[dict[str, int]]:
    """Pairs of imported rows that move the same money between two of the user's accounts.

    At least one row of each pair is this batch's; the other may come from an earlier
    import of the other account's statement. ``created``: the rows the batch has just
    added, when the caller has them (else they are read).
    """
    fields = ("pk", "account_id", "amount", "txn_date", "import_batch_id")
    if created is not None:
        own = [
            (txn.pk, txn.account_id, txn.amount, txn.txn_date, batch.pk)
            for txn in created
            if txn.transfer_id is None
        ]
    else:
        own = list(
            Transaction.objects.filter(import_batch=batch, transfer_id__isnull=True).values_list(
                *fields
            )
        )
    if not own:
        return []
    window = timedelta(days=TRANSFER_WINDOW_DAYS)
    earlier = Transaction.objects.filter(
        user_id=batch.user_id,
        transfer_id__isnull=True,
        import_batch__isnull=False,
        amount__in={-amount for _, _, amount, _, _ in own},
        txn_date__range=(
            min(day for _, _, _, day, _ in own) - window,
            max(day for _, _, _, day, _ in own) + window,
        ),
    ).exclude(import_batch=batch)
    rows = own + list(earlier.values_list(*fields))
    incoming: dict[Decimal, list[tuple]] = defaultdict(list)
    for row in rows:
        if row[2] > 0:
            incoming[row[2]].append(row)
    pairs = []
    used: set[int] = set()
    for pk, account_id, amount, txn_date, batch_id in rows:
        if amount >= 0 or pk in used:
            continue
        for other_pk, other_account, _, other_date, other_batch in incoming.get(-amount, []):
            if (
                other_pk not in used
                and other_account != account_id
                and batch.pk in (batch_id, other_batch)
                and abs(other_date - txn_date) <= window
            ):
                pairs.append({"outgoing": pk, "incoming": other_pk})
                used.update((pk, other_pk))
                break
    return pairs


def _unlink_accepted_transfers(row_ids: list[int]) -> None:
    """Rows of ours accepted as transfers go back to plain rows, with the other leg too.

    Balances do not move (linking moved none); the other leg, from another import, stays.
    """
    legs = Transaction.objects.filter(
        transfer_id__in=Transaction.objects.filter(
            pk__in=row_ids, transfer_id__isnull=False
        ).values("transfer_id")
    )
    for leg in legs.select_for_update():
        Transaction.objects.filter(pk=leg.pk).update(
            kind=Transaction.kind_for_amount(leg.amount),
            transfer_id=None,
            counterpart=None,
            category=None,
            category_source=CategorySource.NONE,
        )


@db_transaction.atomic
def import_undo(*, batch: ImportBatch, actor: User | None) -> ImportBatch:
    """Remove what a batch added and unlink what it matched; the balances return."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.DONE:
        raise ValidationError(
            {"detail": f"Only a finished import can be undone; this one is {batch.status}."}
        )
    created_ids = list(batch.transactions.values_list("pk", flat=True))
    _unlink_accepted_transfers(created_ids)
    transactions_bulk_delete(transaction_ids=created_ids)
    # Each entry is [id, the posted date it had before the bank row was linked to it].
    for pk, posted_date in batch.matched_ids:
        Transaction.objects.filter(pk=pk).update(
            fingerprint="",
            external_id="",
            posted_date=date.fromisoformat(posted_date) if posted_date else None,
        )
    batch.status = ImportBatch.Status.UNDONE
    batch.undone_at = timezone.now()
    batch.save(update_fields=["status", "undone_at"])
    if actor is not None and actor.pk != batch.user_id:
        audit_record(
            actor=actor, action="import.undo", target=batch, changes={"rows": (len(created_ids), 0)}
        )
    return batch


@db_transaction.atomic
def import_reconcile(*, batch: ImportBatch, account: BankAccount, actor: User) -> BankAccount:
    """Make the account agree with the statement by moving its opening balance; audited."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.DONE:
        raise ValidationError(
            {"detail": f"Only a finished import can be reconciled; this one is {batch.status}."}
        )
    entry = next((e for e in batch.reconciliation if e["account"] == account.pk), None)
    if entry is None:
        raise ValidationError({"account": "This import states no balance for that account."})
    fresh = BankAccount.objects.get(pk=account.pk)
    difference = Decimal(entry["statement_balance"]) - balance_on(
        fresh, date.fromisoformat(entry["date"])
    )
    # The batch's report now says they agree, as the account does.
    entry.update(
        account_balance=entry["statement_balance"], difference=str(Decimal("0.00")), agrees=True
    )
    batch.save(update_fields=["reconciliation"])
    if difference == 0:
        return fresh
    old_opening = fresh.opening_balance
    updated = account_update(account=fresh, actor=None, opening_balance=old_opening + difference)
    audit_record(
        actor=actor,
        action="bank_account.reconcile",
        target=updated,
        changes={
            "opening_balance": (old_opening, updated.opening_balance),
            "import_batch": (None, batch.pk),
        },
    )
    return updated


# --- Dry run --------------------------------------------------------------------------


def import_preview(
    *,
    user: User,
    account: BankAccount,
    filename: str,
    data: bytes,
    format: str = "",
    mapping: dict | None = None,
    account_map: dict | None = None,
) -> dict[str, Any]:
    """What importing a file would find, without writing anything (the dry run).

    Raises StatementError when the file as a whole cannot be read.
    """
    check_upload(data, filename=filename, format=format)
    check_import_account(account=account, user=user)
    if not mapping:
        profile = ImportProfile.objects.filter(account=account).first()
        mapping = profile.mapping if profile else None
    statement = parse_statement(data, filename=filename, format=format or None, mapping=mapping)
    accounts = map_accounts(
        statement=statement, user=user, default_account=account, account_map=account_map or {}
    )
    file_accounts = {parsed.ref: parsed for parsed in statement.accounts}
    preview = {
        "format": statement.format,
        "mapping": statement.mapping,
        "date_order_ambiguous": statement.date_order_ambiguous,
        "accounts": [
            {
                "ref": ref,
                "currency": getattr(file_accounts.get(ref), "currency", None),
                "closing_balance": _str_or_none(
                    getattr(file_accounts.get(ref), "closing_balance", None)
                ),
                "mapped_to": mapped.pk if mapped else None,
            }
            for ref, mapped in accounts.items()
        ],
        "counts": {
            "rows": len(statement.rows),
            "valid": sum(1 for r in statement.rows if r.is_valid and not r.pending),
            "pending": sum(1 for r in statement.rows if r.pending),
            "invalid": sum(1 for r in statement.rows if not r.is_valid),
        },
        "rows": [_row_preview(r) for r in statement.rows[:PREVIEW_ROWS]],
        "warnings": statement.warnings,
    }
    if statement.date_order_ambiguous and (mapping or {}).get("day_first") is None:
        preview["question"] = (
            "Every date in the file could be read day-first or month-first (e.g. 03/04 is 3 April "
            "or 4 March). Import again with day_first true or false."
        )
    return preview


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _row_preview(row: ParsedRow) -> dict[str, Any]:
    return {
        "line": row.line,
        "txn_date": _str_or_none(row.txn_date),
        "posted_date": _str_or_none(row.posted_date),
        "amount": _str_or_none(row.amount),
        "currency": row.currency,
        "description": row.description,
        "merchant": row.merchant,
        "external_id": row.external_id,
        "account_ref": row.account_ref,
        "pending": row.pending,
        "error": row.error,
    }


def import_profile_save(*, account: BankAccount, format: str, mapping: dict) -> ImportProfile:
    profile, _ = ImportProfile.objects.update_or_create(
        account=account,
        defaults={"user_id": account.user_id, "format": format, "mapping": mapping},
    )
    return profile


def import_accept_transfer(*, batch: ImportBatch, outgoing_id: int, incoming_id: int):
    """Link one of the pairs the import offered as a transfer (balances do not move)."""
    offered = {"outgoing": outgoing_id, "incoming": incoming_id}
    if offered not in batch.transfer_candidates:
        raise ValidationError({"detail": "This import did not offer these two rows as a transfer."})
    return transfer_link(user=batch.user, outgoing_id=outgoing_id, incoming_id=incoming_id)

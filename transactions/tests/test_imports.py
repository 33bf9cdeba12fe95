"""The import services: each bank row recorded exactly once, through the ledger."""

import datetime
from decimal import Decimal

import pytest

from accounts.models import AuditLog, BankAccount
from accounts.tests.factories import BankAccountFactory, UserFactory
from transactions import imports
from transactions.importing.base import (
    ParsedAccount,
    ParsedRow,
    ParsedStatement,
    StatementError,
)
from transactions.models import ImportBatch, Transaction
from transactions.services import ledger_differences
from transactions.tests.factories import TransactionFactory, default_category

pytestmark = pytest.mark.django_db
D = datetime.date


def row(line, day, amount, description="Card payment", **kwargs):
    return ParsedRow(
        line=line, txn_date=day, amount=Decimal(amount), description=description, **kwargs
    )


def statement(*rows, accounts=None):
    return ParsedStatement(format="csv", rows=list(rows), accounts=accounts or [])


def run(account, parsed, monkeypatch, options=None):
    """Import a ParsedStatement as if a file had been parsed into it."""
    batch = imports.import_create(
        user=account.user, account=account, filename="statement.csv", data=b"x", options=options
    )
    if isinstance(parsed, Exception):

        def fail(batch):
            raise parsed

        monkeypatch.setattr(imports, "parse_batch_file", fail)
    else:
        monkeypatch.setattr(imports, "parse_batch_file", lambda batch: parsed)
    return imports.import_run(batch_id=batch.pk)


def balance(account):
    return BankAccount.objects.get(pk=account.pk).balance


@pytest.fixture
def account():
    return BankAccountFactory(opening_balance=Decimal("100.00"), number_last4="1234")


MARCH = statement(
    row(2, D(2025, 3, 1), "-20.00", "Bakery"),
    row(3, D(2025, 3, 2), "1500.00", "Salary"),
    row(4, D(2025, 3, 3), "-45.10", "Grocer"),
)


def test_import_adds_each_row_and_moves_the_balance_once(account, monkeypatch):
    batch = run(account, MARCH, monkeypatch)
    assert batch.status == "done"
    assert (batch.rows_read, batch.rows_created, batch.progress) == (3, 3, 100)
    assert balance(account) == Decimal("1534.90")
    assert set(Transaction.objects.values_list("import_batch", flat=True)) == {batch.pk}
    assert Transaction.objects.exclude(fingerprint="").count() == 3
    assert ledger_differences() == []


def test_importing_the_same_file_twice_adds_nothing(account, monkeypatch):
    run(account, MARCH, monkeypatch)
    second = run(account, MARCH, monkeypatch)
    assert (second.rows_created, second.rows_duplicate) == (0, 3)
    assert Transaction.objects.count() == 3
    assert balance(account) == Decimal("1534.90")


def test_an_overlapping_statement_adds_only_the_new_rows(account, monkeypatch):
    run(account, MARCH, monkeypatch)
    later = statement(
        row(2, D(2025, 3, 3), "-45.10", "Grocer"),
        row(3, D(2025, 3, 4), "-9.99", "Streaming"),
    )
    batch = run(account, later, monkeypatch)
    assert (batch.rows_created, batch.rows_duplicate) == (1, 1)
    assert Transaction.objects.count() == 4


def test_identical_rows_in_one_file_are_both_kept(account, monkeypatch):
    coffees = statement(
        row(2, D(2025, 3, 1), "-3.20", "Cafe"), row(3, D(2025, 3, 1), "-3.20", "Cafe")
    )
    assert run(account, coffees, monkeypatch).rows_created == 2
    assert run(account, coffees, monkeypatch).rows_duplicate == 2


def test_the_banks_own_id_is_the_fingerprint(account, monkeypatch):
    first = statement(row(2, D(2025, 3, 1), "-3.20", "Cafe", external_id="FIT-1"))
    renamed = statement(row(2, D(2025, 3, 1), "-3.20", "CAFE LTD", external_id="FIT-1"))
    run(account, first, monkeypatch)
    assert run(account, renamed, monkeypatch).rows_duplicate == 1


def test_bad_rows_are_listed_and_the_rest_imported(account, monkeypatch):
    parsed = statement(
        row(2, D(2025, 3, 1), "-20.00"),
        ParsedRow(
            line=3, txn_date=None, amount=Decimal("-1"), error="unreadable date '31.02.2025'"
        ),
        row(4, D(2025, 3, 2), "-5.00", pending=True),
        row(5, D(2025, 3, 2), "-7.00", currency="USD"),
        row(6, D(2025, 3, 3), "-1.00"),
        row(7, D(2025, 3, 3), "-1000000000000.00"),
    )
    batch = run(account, parsed, monkeypatch)
    assert (batch.rows_created, batch.rows_rejected, batch.rows_skipped) == (2, 2, 2)
    assert batch.problems == [
        {"line": 3, "outcome": "rejected", "reason": "unreadable date '31.02.2025'"},
        {"line": 4, "outcome": "skipped", "reason": "Pending: the bank has not booked it yet."},
        {"line": 5, "outcome": "skipped", "reason": f"In USD, but {account.name} is in EUR."},
        {"line": 7, "outcome": "rejected", "reason": "The amount -1000000000000.00 is too large."},
    ]


def test_history_is_recorded_even_past_the_overdraft_floor(account, monkeypatch):
    batch = run(account, statement(row(2, D(2025, 3, 1), "-500.00", "Rent")), monkeypatch)
    assert batch.rows_created == 1
    assert balance(account) == Decimal("-400.00")


def test_a_row_matching_an_entry_made_in_smartbank_links_to_it(account, monkeypatch):
    manual = TransactionFactory(account=account, amount=Decimal("-20.00"), txn_date=D(2025, 2, 27))
    batch = run(account, MARCH, monkeypatch)
    assert (batch.rows_matched, batch.rows_created) == (1, 2)
    manual.refresh_from_db()
    assert manual.fingerprint and manual.posted_date == D(2025, 3, 1)
    assert Transaction.objects.count() == 3
    assert balance(account) == Decimal("1534.90")
    # The link holds: importing again finds it a duplicate, not a new match.
    assert run(account, MARCH, monkeypatch).rows_duplicate == 3


def test_an_entry_outside_the_window_is_not_matched(account, monkeypatch):
    TransactionFactory(account=account, amount=Decimal("-20.00"), txn_date=D(2025, 2, 20))
    assert run(account, MARCH, monkeypatch).rows_matched == 0


def test_a_file_error_writes_nothing(account, monkeypatch):
    batch = run(
        account, StatementError("The file ends in the middle: </OFX> is missing."), monkeypatch
    )
    assert batch.status == "failed"
    assert "missing" in batch.error
    assert not Transaction.objects.exists()
    assert balance(account) == Decimal("100.00")


def test_running_a_batch_twice_imports_once(account, monkeypatch):
    batch = run(account, MARCH, monkeypatch)
    again = imports.import_run(batch_id=batch.pk)
    assert again.status == "done"
    assert Transaction.objects.count() == 3


def test_several_accounts_in_one_file_are_mapped_by_number_or_by_request(account, monkeypatch):
    savings = BankAccountFactory(user=account.user, number_last4="9876")
    card = BankAccountFactory(user=account.user, number_last4="")
    parsed = statement(
        row(2, D(2025, 3, 1), "-20.00", account_ref="DE00 0000 1234"),
        row(3, D(2025, 3, 1), "20.00", account_ref="SAV-9876"),
        row(4, D(2025, 3, 1), "-5.00", account_ref="CARD-5555"),
        row(5, D(2025, 3, 1), "-6.00", account_ref="UNKNOWN-0000"),
    )
    batch = run(account, parsed, monkeypatch, options={"account_map": {"CARD-5555": card.pk}})
    assert (batch.rows_created, batch.rows_skipped) == (3, 1)
    assert "UNKNOWN-0000" in batch.problems[0]["reason"]
    assert balance(savings) == Decimal("1020.00")
    assert balance(card) == Decimal("995.00")
    assert batch.transfer_candidates == [
        {
            "outgoing": Transaction.objects.get(account=account).pk,
            "incoming": Transaction.objects.get(account=savings).pk,
        }
    ]


def test_closing_balance_is_reconciled_and_the_adjustment_audited(account, monkeypatch):
    parsed = statement(
        row(2, D(2025, 3, 1), "-20.00"),
        accounts=[
            ParsedAccount(ref="", closing_balance=Decimal("90.00"), closing_date=D(2025, 3, 1))
        ],
    )
    batch = run(account, parsed, monkeypatch)
    assert batch.reconciliation[0]["agrees"] is False
    assert batch.reconciliation[0]["difference"] == "10.00"
    imports.import_reconcile(batch=batch, account=account, actor=account.user)
    account.refresh_from_db()
    assert (account.opening_balance, account.balance) == (Decimal("110.00"), Decimal("90.00"))
    entry = AuditLog.objects.get(action="bank_account.reconcile")
    assert entry.changes["opening_balance"] == ["100.00", "110.00"]
    assert ledger_differences() == []


def test_undo_removes_the_rows_unlinks_matches_and_restores_balances(account, monkeypatch):
    manual = TransactionFactory(account=account, amount=Decimal("-20.00"), txn_date=D(2025, 3, 1))
    before = balance(account)
    batch = run(account, MARCH, monkeypatch)
    imports.import_undo(batch=batch, actor=account.user)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.UNDONE
    assert list(Transaction.objects.values_list("pk", flat=True)) == [manual.pk]
    manual.refresh_from_db()
    assert manual.fingerprint == ""
    assert balance(account) == before
    assert ledger_differences() == []
    with pytest.raises(Exception, match="finished"):
        imports.import_undo(batch=batch, actor=account.user)


def test_upload_checks(account, settings):
    settings.IMPORT_MAX_FILE_BYTES = 10
    with pytest.raises(Exception, match="empty"):
        imports.import_create(user=account.user, account=account, filename="a.csv", data=b"")
    with pytest.raises(Exception, match="at most 10 bytes"):
        imports.import_create(user=account.user, account=account, filename="a.csv", data=b"x" * 11)
    with pytest.raises(Exception, match="not found"):
        imports.import_create(user=UserFactory(), account=account, filename="a.csv", data=b"x")
    assert not ImportBatch.objects.exists()


def test_a_transfer_split_across_two_statements_is_offered(account, monkeypatch):
    savings = BankAccountFactory(user=account.user, number_last4="9876")
    run(account, statement(row(2, D(2025, 3, 1), "-250.00", "To savings")), monkeypatch)
    batch = run(savings, statement(row(2, D(2025, 3, 2), "250.00", "From checking")), monkeypatch)
    assert batch.transfer_candidates == [
        {
            "outgoing": Transaction.objects.get(account=account).pk,
            "incoming": Transaction.objects.get(account=savings).pk,
        }
    ]


def test_rules_categorise_imported_rows_and_history_records_it(account, monkeypatch):
    from transactions.models import CategoryChange
    from transactions.rule_services import rule_create

    rule = rule_create(
        user=account.user,
        name="Bakeries are dining",
        conditions=[{"field": "description", "operator": "contains", "value": "bakery"}],
        set_category=default_category("dining"),
    )
    run(account, MARCH, monkeypatch)
    bakery = Transaction.objects.get(description="Bakery")
    assert (bakery.category.slug, bakery.category_source, bakery.category_rule) == (
        "dining",
        "rule",
        rule,
    )
    change = CategoryChange.objects.get(transaction=bakery)
    assert (change.source, change.rule) == ("rule", rule)
    assert Transaction.objects.get(description="Grocer").category is None


def test_what_the_parser_passed_over_is_listed_with_the_batch(account, monkeypatch):
    parsed = statement(row(2, D(2025, 3, 1), "-20.00"))
    parsed.warnings.append("Line 9 after the last transaction was read as a footer.")
    batch = run(account, parsed, monkeypatch)
    assert batch.problems == [
        {
            "line": None,
            "outcome": "note",
            "reason": "Line 9 after the last transaction was read as a footer.",
        }
    ]


def test_rows_before_the_account_opened_or_out_of_range_are_rejected(account, monkeypatch):
    parsed = statement(
        row(2, D(2024, 12, 31), "-1.00"),
        row(3, D(9999, 1, 1), "-2.00"),
        row(4, D(2025, 3, 1), "-3.00"),
    )
    batch = run(account, parsed, monkeypatch)
    assert (batch.rows_created, batch.rows_rejected) == (1, 2)
    assert (
        "before" in batch.problems[0]["reason"]
        and "opened on 2025-01-01" in batch.problems[0]["reason"]
    )
    assert "days ahead" in batch.problems[1]["reason"]


def test_an_undone_import_cannot_be_reconciled(account, monkeypatch):
    parsed = statement(
        row(2, D(2025, 3, 1), "-20.00"),
        accounts=[
            ParsedAccount(ref="", closing_balance=Decimal("90.00"), closing_date=D(2025, 3, 1))
        ],
    )
    batch = run(account, parsed, monkeypatch)
    imports.import_undo(batch=batch, actor=account.user)
    with pytest.raises(Exception, match="Only a finished import can be reconciled"):
        imports.import_reconcile(batch=batch, account=account, actor=account.user)
    account.refresh_from_db()
    assert account.opening_balance == Decimal("100.00")


def test_undo_gives_a_matched_entry_its_posted_date_back(account, monkeypatch):
    manual = TransactionFactory(
        account=account,
        amount=Decimal("-20.00"),
        txn_date=D(2025, 2, 28),
        posted_date=D(2025, 2, 28),
    )
    batch = run(account, MARCH, monkeypatch)
    manual.refresh_from_db()
    assert manual.posted_date == D(2025, 3, 1)
    imports.import_undo(batch=batch, actor=account.user)
    manual.refresh_from_db()
    assert (manual.posted_date, manual.fingerprint) == (D(2025, 2, 28), "")


def test_an_archived_account_takes_no_import(account):
    account.is_archived = True
    account.save()
    with pytest.raises(Exception, match="archived"):
        imports.import_create(user=account.user, account=account, filename="a.csv", data=b"x")
    assert not ImportBatch.objects.exists()


def test_a_bad_mapping_is_refused_before_the_batch_is_kept(account):
    with pytest.raises(Exception, match="date_column"):
        imports.import_create(
            user=account.user,
            account=account,
            filename="a.csv",
            data=b"Date,Amount\n2025-03-01,-1.00\n",
            mapping={"date_column": "x"},
        )
    assert not ImportBatch.objects.exists()


def test_undo_unlinks_an_accepted_transfer_and_keeps_the_other_leg(account, monkeypatch):
    savings = BankAccountFactory(user=account.user, number_last4="9876")
    first = run(account, statement(row(2, D(2025, 3, 1), "-250.00", "To savings")), monkeypatch)
    second = run(savings, statement(row(2, D(2025, 3, 2), "250.00", "From checking")), monkeypatch)
    pair = second.transfer_candidates[0]
    imports.import_accept_transfer(batch=second, **{f"{k}_id": v for k, v in pair.items()})
    imports.import_undo(batch=first, actor=account.user)
    remaining = Transaction.objects.get()
    assert remaining.account_id == savings.pk
    assert (remaining.kind, remaining.transfer_id, remaining.counterpart_id) == (
        "income",
        None,
        None,
    )
    assert balance(account) == Decimal("100.00")
    assert ledger_differences() == []

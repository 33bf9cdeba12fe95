"""What makes a large import fast keeps its behaviour: the ledger's bulk insert, the
duplicate lookup, fingerprints, the collector pause, offered transfers and cached regexes."""

import datetime
import gc
import hashlib
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from transactions import imports, rules
from transactions.importing.base import ParsedRow, ParsedStatement
from transactions.models import CategorizationRule, Transaction
from transactions.services import ledger_differences, transactions_bulk_create
from transactions.tests.factories import default_category

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 3, 1)


def balance_of(account):
    return BankAccount.objects.get(pk=account.pk).balance


# --- transactions_bulk_create ---------------------------------------------------------------


def test_bulk_create_returns_saved_rows_in_order_with_their_account_cached(
    django_assert_num_queries,
):
    account = BankAccountFactory(opening_balance=Decimal("10.00"))
    groceries = default_category("groceries")
    rows = [
        {"amount": Decimal("-3.005"), "txn_date": DAY, "description": "a", "category": groceries},
        {"amount": Decimal("5"), "txn_date": DAY, "description": "b"},
    ]

    created = transactions_bulk_create(account=account, rows=rows)

    assert [t.description for t in created] == ["a", "b"]
    assert [t.amount for t in created] == [Decimal("-3.00"), Decimal("5.00")]
    assert [t.kind for t in created] == ["expense", "income"]
    with django_assert_num_queries(0):
        assert created[0].account.pk == account.pk and created[0].category is groceries
    assert {t.pk for t in created} == set(Transaction.objects.values_list("pk", flat=True))
    assert rows[1] == {"amount": Decimal("5"), "txn_date": DAY, "description": "b"}  # untouched
    assert balance_of(account) == account.balance == Decimal("12.00")
    assert ledger_differences() == []


def test_bulk_create_runs_prepare_row_on_each_row_before_it_is_written():
    account = BankAccountFactory()
    seen = []

    def prepare(row):
        seen.append(row["description"])
        row["merchant"] = row["description"].upper()

    rows = [{"amount": Decimal("-1.00"), "txn_date": DAY, "description": d} for d in "xyz"]
    created = transactions_bulk_create(account=account, rows=rows, prepare_row=prepare)

    assert seen == ["x", "y", "z"]
    assert [t.merchant for t in created] == ["X", "Y", "Z"]
    assert sorted(Transaction.objects.values_list("merchant", flat=True)) == ["X", "Y", "Z"]


@pytest.mark.parametrize(
    ("bad_row", "error"),
    [
        ({"amount": Decimal("0.00"), "txn_date": DAY}, ValidationError),
        ({"amount": Decimal("-1.00"), "txn_date": DAY, "kind": "transfer"}, TypeError),
        ({"amount": Decimal("-1.00"), "txn_date": DAY, "account_id": 1}, TypeError),
        ({"amount": Decimal("-1.00"), "txn_date": DAY, "colour": "red"}, TypeError),
    ],
)
def test_a_bad_row_anywhere_writes_nothing(bad_row, error):
    account = BankAccountFactory(opening_balance=Decimal("50.00"))
    good = {"amount": Decimal("-1.00"), "txn_date": DAY}
    with pytest.raises(error):
        transactions_bulk_create(account=account, rows=[good, good, bad_row, good])
    assert not Transaction.objects.exists()
    assert balance_of(account) == Decimal("50.00")


# --- Duplicates and fingerprints --------------------------------------------------------------


def test_existing_fingerprints_reads_a_small_account_whole_and_a_large_one_in_chunks(
    monkeypatch, django_assert_num_queries
):
    account = BankAccountFactory()
    other = BankAccountFactory(user=account.user)
    transactions_bulk_create(
        account=account,
        rows=[{"amount": Decimal("-1.00"), "txn_date": DAY, "fingerprint": f"f{n}"} for n in "123"],
    )
    transactions_bulk_create(
        account=other, rows=[{"amount": Decimal("-1.00"), "txn_date": DAY, "fingerprint": "f4"}]
    )
    wanted = ["f1", "f3", "f4", "new"]

    with django_assert_num_queries(2):  # a count, then every fingerprint of the account
        assert imports.existing_fingerprints(account.pk, wanted) == {"f1", "f3"}

    monkeypatch.setattr(imports, "FETCH_ALL_FINGERPRINTS_FACTOR", 0)
    monkeypatch.setattr(imports, "FINGERPRINT_CHUNK", 3)
    with django_assert_num_queries(3):  # a count, then two chunks of the file's
        assert imports.existing_fingerprints(account.pk, wanted) == {"f1", "f3"}


def _fingerprint_as_first_written(row, occurrence):
    if row.external_id:
        key = f"id|{row.external_id.strip()}"
    else:
        text = re.sub(r"\s+", " ", f"{row.description} {row.merchant}").strip().lower()
        amount = Decimal(row.amount).quantize(Decimal("0.01"))
        key = f"row|{row.txn_date.isoformat()}|{amount}|{text}|{occurrence}"
    return hashlib.sha256(key.encode()).hexdigest()


@pytest.mark.parametrize(
    ("description", "merchant", "amount", "external_id"),
    [
        ("Card payment", "REWE", "-12.3", ""),
        ("  Lastschrift\tGASAG \n", "", "-74", ""),
        ("Überweisung\u00a0Miete", "Deutsche\u2003Wohnen", "-1050.00", ""),
        ("", "", "1", ""),
        ("anything", "x", "-5", " FITID-42 "),
    ],
)
def test_fingerprints_are_the_ones_already_stored(description, merchant, amount, external_id):
    """Stored fingerprints decide duplicates: a faster formula must give the same ones."""
    parsed = ParsedRow(
        line=1,
        txn_date=DAY,
        amount=Decimal(amount),
        description=description,
        merchant=merchant,
        external_id=external_id,
    )
    for occurrence in (0, 3):
        assert imports.row_fingerprint(parsed, occurrence) == _fingerprint_as_first_written(
            parsed, occurrence
        )


# --- The run ----------------------------------------------------------------------------------


def test_the_collector_is_paused_during_an_import_and_running_after():
    assert gc.isenabled()
    with imports.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), imports.collector_paused():
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with imports.collector_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_an_import_writes_its_results_without_rewriting_the_file(monkeypatch):
    account = BankAccountFactory(opening_balance=Decimal("100.00"))
    rows = [
        ParsedRow(line=2, txn_date=DAY, amount=Decimal("-4.20"), description="Coffee"),
        ParsedRow(line=3, txn_date=DAY, amount=Decimal("-4.20"), description="Coffee"),
    ]
    monkeypatch.setattr(
        imports, "parse_batch_file", lambda batch: ParsedStatement(format="csv", rows=rows)
    )
    batch = imports.import_create(user=account.user, account=account, filename="s.csv", data=b"x")
    gc_during = []
    real_plan = imports.plan_import

    def plan(**kwargs):
        gc_during.append(gc.isenabled())
        return real_plan(**kwargs)

    monkeypatch.setattr(imports, "plan_import", plan)

    with CaptureQueriesContext(connection) as queries:
        batch = imports.import_run(batch_id=batch.pk)

    assert (batch.status, batch.rows_created, batch.progress) == ("done", 2, 100)
    assert gc_during == [False] and gc.isenabled()
    updates = [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "importbatch" in q["sql"]
    ]
    assert updates and not any("file_data" in sql for sql in updates)
    batch.refresh_from_db()
    assert (batch.rows_created, batch.status, bytes(batch.file_data)) == (2, "done", b"x")


def test_offered_transfers_are_the_same_from_the_new_rows_as_read_back():
    user_account = BankAccountFactory()
    savings = BankAccountFactory(user=user_account.user)
    batch = imports.import_create(
        user=user_account.user, account=user_account, filename="s.csv", data=b"x"
    )
    created = transactions_bulk_create(
        account=user_account,
        rows=[{"amount": Decimal("-200.00"), "txn_date": DAY, "import_batch": batch}],
    ) + transactions_bulk_create(
        account=savings,
        rows=[
            {"amount": Decimal("200.00"), "txn_date": DAY, "import_batch": batch},
            {"amount": Decimal("7.00"), "txn_date": DAY, "import_batch": batch},
        ],
    )

    offered = imports.transfer_candidates(batch=batch, created=created)

    assert offered == imports.transfer_candidates(batch=batch)
    assert offered == [{"outgoing": created[0].pk, "incoming": created[1].pk}]


# --- Rules ------------------------------------------------------------------------------------


def test_a_regex_rule_gives_the_same_answer_for_a_text_seen_before(monkeypatch):
    monkeypatch.setattr(rules, "REGEX_MEMO_SIZE", 2)
    rule = CategorizationRule(
        pk=1,
        name="Supermarkets",
        conditions=[{"field": "description", "operator": "regex", "value": r"^(rewe|lidl)\b"}],
        set_category=default_category("groceries"),
    )
    ruleset = rules.compile_rule(rule)

    def category(description):
        outcome = ruleset.evaluate(
            description=description, merchant="", amount=Decimal("-1"), account_id=None
        )
        return outcome.category_id if outcome else None

    groceries = default_category("groceries").pk
    texts = ["REWE Berlin", "Aldi", "lidl 12", "REWE Berlin", "Aldi", "Lidl 12", "rewex"]
    assert [category(t) for t in texts] == [groceries, None, groceries] * 2 + [None]

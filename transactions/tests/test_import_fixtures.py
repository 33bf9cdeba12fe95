"""Real bank exports, imported end to end: the counts and sums of shared/bank_fixtures/MANIFEST.md.

The parser tests check every file row by row; these run a representative file of each
format and bank shape through the whole import (batch, plan, ledger) twice.
"""

import datetime
from decimal import Decimal

import pytest

from accounts.models import BankAccount
from accounts.tests.factories import BankAccountFactory
from transactions import imports
from transactions.services import ledger_differences

pytestmark = pytest.mark.django_db

OPENING = Decimal("100000.00")

# (file, account currency, rows created, sum of created rows, rows skipped, mapping)
FILES = [
    ("ofx/ofxparse__bank_medium.ofx", "CAD", 3, "-345.27", 0, None),
    ("ofx/ofxtools__br_nubank_cc.ofx", "BRL", 6, "-1280.91", 0, None),
    ("ofx/beangulp__ofxdownload.ofx", "USD", 12, "-352.82", 0, None),
    ("qfx/actual__html-vals.qfx", "CAD", 2, "-2.00", 0, None),
    ("qif/oca-bank-statement-import__test_qif.qif", "EUR", 5, "-1896.09", 0, None),
    ("qif/rechnungspilot__targobank-duesseldorf.qif", "EUR", 10, "-611.23", 0, None),
    ("camt053/ofxstatement-iso20022__simple.xml", "EUR", 4, "-181.01", 0, None),
    ("camt053/oca-bank-statement-import__test-camt053", "EUR", 4, "-12.99", 0, None),
    ("csv/csv2ofx__ingesp.csv", "EUR", 10, "350.21", 0, None),
    ("csv/csv2ofx__schwab-checking.csv", "USD", 4, "-215.27", 0, None),
    # 7 completed rows, one of them a 0.00 hold: nothing moved, so it is skipped too.
    ("csv/ofxstatement-revolut__2022-january.csv", "EUR", 6, "86.56", 3, None),
    ("csv/rechnungspilot__dkb.csv", "EUR", 8, "50.43", 0, None),
    ("csv/rechnungspilot__ing.csv", "EUR", 20, "1362.53", 0, None),
    ("csv/rechnungspilot__targobank-duesseldorf.csv", "EUR", 11, "-618.18", 0, None),
    ("csv/oca-bank-statement-import__multi_currency.csv", "USD", 1, "-33.50", 1, None),
    (
        "csv/hledger__sample.ssv",
        "USD",
        2,
        "0.00",
        0,
        # As hledger's own rules file reads it: %d/%Y/%m, money in then money out.
        {"credit_column": 2, "debit_column": 3, "day_first": True},
    ),
]


def import_file(account, content, name, mapping):
    batch = imports.import_create(
        user=account.user, account=account, filename=name, data=content, mapping=mapping
    )
    return imports.import_run(batch_id=batch.pk)


@pytest.mark.parametrize(
    ("path", "currency", "created", "total", "skipped", "mapping"),
    FILES,
    ids=[f[0] for f in FILES],
)
def test_a_real_export_imports_once(bank_fixture, path, currency, created, total, skipped, mapping):
    account = BankAccountFactory(
        currency=currency, opening_balance=OPENING, opening_date=datetime.date(1990, 1, 1)
    )
    content = bank_fixture(path)
    name = path.rsplit("/", 1)[-1]

    first = import_file(account, content, name, mapping)
    assert first.status == "done", first.error
    assert (first.rows_created, first.rows_skipped) == (created, skipped), first.problems
    assert BankAccount.objects.get(pk=account.pk).balance == OPENING + Decimal(total)

    second = import_file(account, content, name, mapping)
    assert (second.rows_created, second.rows_duplicate) == (0, created)
    assert BankAccount.objects.get(pk=account.pk).balance == OPENING + Decimal(total)
    assert ledger_differences() == []


def test_ambiguous_dates_are_asked_about_before_anything_is_written(bank_fixture):
    account = BankAccountFactory(opening_date=datetime.date(1990, 1, 1))
    content = bank_fixture("csv/oca-bank-statement-import__meta_data_separated_credit_debit.csv")
    preview = imports.import_preview(
        user=account.user, account=account, filename="meta.csv", data=content
    )
    assert preview["date_order_ambiguous"] is True
    assert "day_first" in preview["question"]

    refused = import_file(account, content, "meta.csv", None)
    assert refused.status == "failed"
    assert "day_first" in refused.error
    assert not account.transactions.exists()

    answered = import_file(account, content, "meta.csv", {"day_first": True})
    assert answered.rows_created == 4
    # The customer's reading: -50.00, -100.00, -80.68 and +1300.00.
    assert BankAccount.objects.get(pk=account.pk).balance == Decimal("1000.00") + Decimal("1069.32")
    assert set(account.transactions.values_list("txn_date", flat=True)) == {
        datetime.date(2020, 4, 1),
        datetime.date(2020, 4, 2),
    }

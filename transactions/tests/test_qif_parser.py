"""QIF: every QIF file of the shared bank fixtures gives what MANIFEST.md lists, and dates,
amounts, accounts, splits and encodings are read as a customer expects."""

from datetime import date
from decimal import Decimal

import pytest

from transactions.importing.base import StatementError
from transactions.importing.qif_parser import parse_qif, parse_qif_amount, parse_qif_date

# path: (rows, first date, last date, sum, {account ref: rows})
VALID_FILES = {
    "qif/oca-bank-statement-import__test_qif.qif": (
        5, date(2013, 3, 3), date(2013, 8, 15), Decimal("-1896.09"), {"": 5},
    ),
    "qif/oca-bank-statement-import__test_qif_dmy.qif": (
        5, date(2013, 3, 3), date(2013, 8, 15), Decimal("-1896.09"), {"": 5},
    ),
    "qif/rechnungspilot__targobank-duesseldorf.qif": (
        10, date(2025, 11, 3), date(2025, 11, 10), Decimal("-611.23"), {"": 10},
    ),
    "qif/csv2ofx__default_w_splits.qif": (
        8, date(2015, 2, 8), date(2015, 3, 25), Decimal("465000.00"), {"Cash": 2, "Checking": 6},
    ),
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(VALID_FILES))
def test_every_fixture_gives_the_manifest_figures(bank_fixture, path):
    count, first, last, expected_sum, per_account = VALID_FILES[path]

    statement = parse_qif(bank_fixture(path))

    assert statement.format == "qif"
    assert len(statement.rows) == count
    assert all(row.is_valid for row in statement.rows)
    assert min(row.txn_date for row in statement.rows) == first
    assert max(row.txn_date for row in statement.rows) == last
    assert sum(row.amount for row in statement.rows) == expected_sum
    assert [a.ref for a in statement.accounts] == list(per_account)
    for ref, rows in per_account.items():
        assert sum(row.account_ref == ref for row in statement.rows) == rows
    assert statement.date_order_ambiguous is False
    assert statement.warnings == []


@pytest.mark.parametrize(
    ("path", "day_first"),
    [
        ("qif/oca-bank-statement-import__test_qif.qif", False),  # 8/15/13 decides
        ("qif/oca-bank-statement-import__test_qif_dmy.qif", True),  # 15/8/13 decides
    ],
)
def test_day_and_month_order_is_decided_over_the_whole_file(bank_fixture, path, day_first):
    statement = parse_qif(bank_fixture(path))

    delta = statement.rows[0]
    assert (delta.merchant, delta.txn_date) == ("Delta PC", date(2013, 8, 12))
    assert statement.rows[3].txn_date == date(2013, 3, 4)  # 3/4/13 and 4/3/13
    assert statement.mapping == {"day_first": day_first}


def test_targobank_reads_dotted_dates_crlf_utf8_and_a_blank_line_before_the_end(bank_fixture):
    statement = parse_qif(bank_fixture("qif/rechnungspilot__targobank-duesseldorf.qif"))

    first = statement.rows[0]
    assert first.merchant.startswith("Echtzeitüberweisung ; CHRISTIAN MUSTERMANN")
    assert first.line == 2
    assert statement.rows[5].amount == Decimal("-357.61")  # the record with the blank line
    assert statement.rows[9].amount == Decimal("83.16")
    assert statement.mapping == {"day_first": True}


def test_splits_and_numbers_go_to_notes_and_accounts_tag_rows(bank_fixture):
    statement = parse_qif(bank_fixture("qif/csv2ofx__default_w_splits.qif"))

    first = statement.rows[0]
    assert (first.account_ref, first.txn_date, first.amount) == (
        "Cash",
        date(2015, 3, 24),
        Decimal("45000.00"),
    )
    assert first.merchant == "Tchênzema Tchênzema"
    assert first.notes == "No. INV-7; Split: Expenses 45000.00"
    assert statement.rows[2].merchant == "Ằdøłƥh Noƴa"


# --- edge cases -----------------------------------------------------------------------------


def qif(*records: str, header: str = "!Type:Bank") -> bytes:
    return ("\n".join([header, *records]) + "\n").encode()


def test_undecidable_order_is_flagged_and_a_mapping_settles_it():
    data = qif("D4/3/13\nT-1.00\n^", "D3/3/13\nT-2.00\n^")

    guessed = parse_qif(data)
    settled = parse_qif(data, mapping={"day_first": True})

    assert guessed.date_order_ambiguous is True
    assert guessed.rows[0].txn_date == date(2013, 4, 3)  # Quicken's month-first meanwhile
    assert settled.date_order_ambiguous is False
    assert settled.rows[0].txn_date == date(2013, 3, 4)
    assert settled.mapping == {"day_first": True}
    with pytest.raises(StatementError, match="day_first must be true or false"):
        parse_qif(data, mapping={"day_first": "yes"})


def test_same_day_and_month_everywhere_is_not_ambiguous():
    statement = parse_qif(qif("D3/3/13\nT-2.00\n^"))

    assert statement.date_order_ambiguous is False


def test_a_mapping_against_the_file_lists_the_impossible_dates():
    statement = parse_qif(
        qif("D8/15/13\nT-1.00\n^", "D8/1/13\nT-2.00\n^"), mapping={"day_first": True}
    )

    assert statement.rows[0].error == "unreadable date '8/15/13'"
    assert statement.rows[1].txn_date == date(2013, 1, 8)


@pytest.mark.parametrize(
    ("raw", "day_first", "expected"),
    [
        ("1/2'05", False, date(2005, 1, 2)),
        ("12/31'99", False, date(2099, 12, 31)),
        (" 1/ 2/ 5", False, date(2005, 1, 2)),
        ("02/08/2015", False, date(2015, 2, 8)),
        ("02/08/2015", True, date(2015, 8, 2)),
        ("8/12/99", False, date(1999, 8, 12)),
        ("03.11.25", False, date(2025, 11, 3)),
        ("03.11.2025", False, date(2025, 11, 3)),
        ("2015-03-24", True, date(2015, 3, 24)),
        ("12-24-2015", False, date(2015, 12, 24)),
    ],
)
def test_date_forms(raw, day_first, expected):
    assert parse_qif_date(raw, day_first=day_first) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("-1,000.00", Decimal("-1000.00")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("-5,00", Decimal("-5.00")),
        ("1.234,56", Decimal("1234.56")),
        ("$12.50", Decimal("12.50")),
        ("+3", Decimal("3")),
    ],
)
def test_amount_forms(raw, expected):
    assert parse_qif_amount(raw) == expected


def test_bad_rows_are_listed_and_the_rest_read():
    statement = parse_qif(
        qif(
            "D2/30/2025\nT-1.00\nPBad date\n^",
            "D3/1/2025\nTabc\n^",
            "T-3.00\n^",
            "D3/2/2025\nT-4.00\n^",
        )
    )

    assert [row.error for row in statement.rows] == [
        "unreadable date '2/30/2025'",
        "unreadable amount 'abc'",
        "no date (D line)",
        "",
    ]
    assert [row.line for row in statement.rows] == [2, 6, 9, 11]


def test_fields_crlf_cp1252_u_amount_and_a_last_record_without_caret():
    data = (
        "!Type:CCard\r\nD03/01/2025\r\nU-1,234.50\r\nPCaf\xe9 Noir\r\nMTable 4\r\nN1001\r\n"
        "L[Dining]\r\nCX\r\n\r\n^\r\nD03/02/2025\r\nT20.00\r\nPRefund"
    ).encode("cp1252")

    statement = parse_qif(data)

    first, last = statement.rows
    assert first.amount == Decimal("-1234.50")
    assert first.merchant == "Café Noir"
    assert first.description == "Café Noir / Table 4"
    assert (first.notes, first.category) == ("No. 1001", "Dining")
    assert last.amount == Decimal("20.00") and last.merchant == "Refund"


def test_lists_and_investments_are_not_transactions():
    data = qif(
        "NGroceries\nDFood\nE\n^",
        "!Type:Invst\nD3/1/2025\nNBuy\nYACME\nT-100.00\n^",
        "!Type:Cash\nD3/2/2025\nT-5.00\nPKiosk\n^",
        header="!Option:AutoSwitch\n!Type:Cat",
    )

    statement = parse_qif(data)

    assert [row.merchant for row in statement.rows] == ["Kiosk"]
    assert statement.warnings == ["1 investment transactions (!Type:Invst) were not imported."]


def test_account_balance_and_unnamed_account():
    data = qif(
        "NSavings\nTBank\n$1,500.00\n^", "!Type:Bank\nD3/2/2025\nT-5.00\n^", header="!Account"
    )

    statement = parse_qif(data)

    assert statement.accounts[0].ref == "Savings"
    assert statement.accounts[0].closing_balance == Decimal("1500.00")
    assert statement.rows[0].account_ref == "Savings"
    with pytest.raises(StatementError, match="without a name"):
        parse_qif(qif("TBank\n^", header="!Account"))


@pytest.mark.parametrize(
    "data",
    [b"!Type:Bank\n", b"!Type:Cat\nNFood\n^\n", b"!Type:Invst\nD3/1/2025\nT-1\n^\n"],
    ids=["header-only", "category-list", "investments-only"],
)
def test_a_file_without_transactions_is_refused(data):
    with pytest.raises(StatementError, match="holds no bank, cash or card transactions"):
        parse_qif(data)

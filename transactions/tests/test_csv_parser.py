"""parse_csv: every CSV bank fixture as a customer reads it, and the detection edge cases."""

import json
from datetime import date
from decimal import Decimal

import pytest

from transactions.importing.base import StatementError
from transactions.importing.csv_parser import parse_csv
from transactions.importing.csv_values import DateParser, guess_date_column, parse_amount


def booked(statement):
    """The rows an import would take: readable and not pending."""
    return [r for r in statement.rows if r.is_valid and not r.pending]


def summary(statement):
    rows = booked(statement)
    return (
        len(rows),
        min(r.txn_date for r in rows),
        max(r.txn_date for r in rows),
        sum(r.amount for r in rows),
    )


# --- every CSV fixture, with the MANIFEST's figures (customer's reading) -----------------

# path, mapping a customer would pass (None: auto-detected), n, first date, last date, sum
FIXTURES = [
    ("csv/beangulp__csvbank_statement.csv", None, 6, "2016-03-04", "2016-03-18", "-1490.16"),
    ("csv/csv2ofx__creditunion.csv", None, 8, "2015-02-08", "2015-03-25", "465000"),
    ("csv/csv2ofx__gls.csv", None, 1, "2017-10-10", "2017-10-10", "-98.76"),
    # The source project's golden file reads 08/04/2022 month-first; the column says day-first.
    ("csv/csv2ofx__ingesp.csv", None, 10, "2022-03-24", "2022-12-31", "350.21"),
    ("csv/csv2ofx__n26-fr.csv", None, 2, "2020-03-07", "2020-03-07", "0"),
    ("csv/csv2ofx__schwab-checking.csv", None, 4, "2022-08-04", "2022-08-17", "-215.27"),
    ("csv/csv2ofx__ubs-ch-fr_trimmed.csv", None, 3, "2019-02-28", "2019-04-27", "30.00"),
    ("csv/hledger__sample.fr.cp1252.csv", None, 3, "2012-03-22", "2012-03-24", "20.00"),
    # No header and two unsigned amount columns: only the customer can say column 2 is money
    # in and column 3 money out (hledger's rules file says so).
    ("csv/hledger__sample.ssv", {"credit_column": 2, "debit_column": 3}, 2, "2009-09-10",
     "2009-09-11", "0"),
    ("csv/hledger__sample.tsv", {"credit_column": 2, "debit_column": 3}, 2, "2009-09-10",
     "2009-09-11", "0"),
    # OCA asserts +33.50/-1533.50 by its own convention; the D/C column gives the customer's.
    ("csv/oca-bank-statement-import__debit_credit.csv", None, 2, "2018-12-15", "2018-12-15",
     "1500.00"),
    # OCA reads m/d and flips debit/credit signs; the customer reads 1-2 April, debits out.
    ("csv/oca-bank-statement-import__meta_data_separated_credit_debit.csv", None, 4,
     "2020-04-01", "2020-04-02", "1069.32"),
    # Both rows parse; the EUR row carries its currency so a USD account's import skips it.
    ("csv/oca-bank-statement-import__multi_currency.csv", None, 2, "2018-12-15", "2018-12-15",
     "1491.50"),
    # 9 rows, 2 PENDING: the 7 booked ones.
    ("csv/ofxstatement-revolut__2022-january.csv", None, 7, "2022-01-02", "2022-01-13", "86.56"),
    ("csv/rechnungspilot__dkb.csv", None, 8, "2025-11-28", "2025-12-08", "50.43"),
    ("csv/rechnungspilot__ing.csv", None, 20, "2025-11-17", "2025-12-09", "1362.53"),
    ("csv/rechnungspilot__targobank-duesseldorf.csv", None, 11, "2025-11-03", "2025-11-10",
     "-618.18"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "mapping", "count", "first", "last", "total"),
    FIXTURES,
    ids=[f[0].split("/")[-1] for f in FIXTURES],
)
def test_fixture_gives_the_manifest_figures(bank_fixture, path, mapping, count, first, last, total):
    statement = parse_csv(bank_fixture(path), mapping)

    assert statement.format == "csv"
    assert not [r for r in statement.rows if r.error], [r.error for r in statement.rows]
    assert summary(statement) == (
        count,
        date.fromisoformat(first),
        date.fromisoformat(last),
        Decimal(total),
    )
    # The detected mapping replays to the same rows (how a saved import profile works).
    replayed = parse_csv(bank_fixture(path), json.loads(json.dumps(statement.mapping)))
    assert replayed.rows == statement.rows


def test_empty_file_is_a_clear_error(bank_fixture):
    with pytest.raises(StatementError, match="empty"):
        parse_csv(bank_fixture("csv/hledger__csvnoinclude_empty.csv"))


def test_header_without_rows_is_a_clear_error(bank_fixture):
    with pytest.raises(StatementError, match="headings but no transactions"):
        parse_csv(bank_fixture("csv/oca-bank-statement-import__empty_statement_en.csv"))


def test_dkb_broken_quote_keeps_the_row_and_its_columns(bank_fixture):
    statement = parse_csv(bank_fixture("csv/rechnungspilot__dkb.csv"))

    assert statement.mapping["encoding"] == "utf-8-sig"
    assert statement.mapping["delimiter"] == ";"
    assert statement.mapping["skip_rows"] == 4
    assert statement.mapping["columns"][0] == "Buchungsdatum"
    broken = next(r for r in statement.rows if r.line == 11)
    assert broken.txn_date == date(2025, 12, 1)
    assert broken.amount == Decimal("-207")
    assert broken.merchant == "Firma"
    assert broken.description == "422.986.811-1 ABS. 11/25 Wanderer., Nuernberg"
    # The preamble names the account and its balance.
    (account,) = statement.accounts
    assert account.ref == "DE42120300001033738756"
    assert account.closing_balance == Decimal("4093.32")
    assert account.closing_date == date(2025, 12, 9)


def test_ing_short_row_is_read_with_its_amount(bank_fixture):
    statement = parse_csv(bank_fixture("csv/rechnungspilot__ing.csv"))

    assert statement.mapping["encoding"] == "cp1252"
    assert statement.mapping["header_row"] == 12
    pension = next(r for r in statement.rows if r.line == 22)
    assert pension.amount == Decimal("2647.74")
    assert pension.currency == "EUR"
    assert pension.description == "97052181157Z00511 RV-RENTE 11.2025"
    assert pension.merchant == "Rente"
    assert any("fewer fields" in w for w in statement.warnings)


def test_oca_metadata_file_skips_preamble_and_footer(bank_fixture):
    path = "csv/oca-bank-statement-import__meta_data_separated_credit_debit.csv"
    statement = parse_csv(bank_fixture(path))

    assert statement.mapping["skip_rows"] == 4
    assert statement.mapping["footer_rows"] == 1
    assert [r.amount for r in statement.rows] == [
        Decimal("-50.00"),
        Decimal("-100.00"),
        Decimal("-80.68"),
        Decimal("1300.00"),
    ]
    # 01/04/20 and 02/04/20 cannot tell the order: read day-first, and the customer is asked.
    assert statement.date_order_ambiguous
    (account,) = statement.accounts
    assert (account.opening_balance, account.closing_balance) == (
        Decimal("30000.77"),
        Decimal("31070.11"),
    )
    # The customer's answer "month first" is a mapping key.
    month_first = parse_csv(bank_fixture(path), {"day_first": False})
    assert not month_first.date_order_ambiguous
    assert month_first.rows[0].txn_date == date(2020, 1, 4)


def test_revolut_pending_rows_and_dates(bank_fixture):
    statement = parse_csv(bank_fixture("csv/ofxstatement-revolut__2022-january.csv"))

    assert len(statement.rows) == 9
    assert [r.line for r in statement.rows if r.pending] == [7, 10]
    card = statement.rows[2]
    assert card.amount == Decimal("-38.71")
    assert card.currency == "EUR"
    assert card.txn_date == date(2022, 1, 6)  # Started Date
    assert card.posted_date == date(2022, 1, 7)  # Completed Date
    assert card.description == "Something and something"
    assert statement.mapping["date_format"] == "%Y-%m-%d %H:%M:%S"


def test_multi_currency_rows_carry_their_currency(bank_fixture):
    statement = parse_csv(bank_fixture("csv/oca-bank-statement-import__multi_currency.csv"))

    assert [(r.currency, r.amount) for r in statement.rows] == [
        ("USD", Decimal("-33.50")),
        ("EUR", Decimal("1525.00")),
    ]


def test_debit_credit_indicator_gives_the_sign(bank_fixture):
    statement = parse_csv(bank_fixture("csv/oca-bank-statement-import__debit_credit.csv"))

    assert statement.mapping["indicator_column"] == 3
    assert [r.amount for r in statement.rows] == [Decimal("-33.50"), Decimal("1533.50")]
    assert statement.rows[1].balance == Decimal("1510.00")


def test_headerless_files_are_read_by_content(bank_fixture):
    targo = parse_csv(bank_fixture("csv/rechnungspilot__targobank-duesseldorf.csv"))
    assert targo.mapping["has_header"] is False
    assert (targo.mapping["debit_column"], targo.mapping["credit_column"]) == (2, 3)
    assert targo.rows[-1].amount == Decimal("83.16")

    ssv = parse_csv(bank_fixture("csv/hledger__sample.ssv"))
    assert ssv.mapping["date_format"] == "%d/%Y/%m"
    assert ssv.date_order_ambiguous
    assert ssv.rows[0].description == "Flubber Co🎅"
    assert any("money out" in w for w in ssv.warnings)


# --- encodings, line endings, delimiters ------------------------------------------------


def test_windows_1252_with_euro_sign_is_decoded():
    data = "Date;Text;Betrag\n01.02.2024;Café € Rückzahlung;-1,50\n".encode("cp1252")

    statement = parse_csv(data)

    assert statement.mapping["encoding"] == "cp1252"
    assert statement.rows[0].description == "Café € Rückzahlung"
    assert statement.rows[0].amount == Decimal("-1.50")


def test_bytes_neither_utf8_nor_cp1252_are_undecodable():
    data = b"Date,Text,Amount\n2024-01-01,Caf\x81\x8d,1.00\n"

    with pytest.raises(StatementError, match="cannot be read"):
        parse_csv(data)


def test_utf8_bom_with_bytes_that_are_not_utf8_is_a_clear_error():
    with pytest.raises(StatementError, match="says it is UTF-8"):
        parse_csv(b"\xef\xbb\xbfDate,Amount\n2024-01-01,1\xff\n")


def test_utf16_with_bom_is_decoded():
    data = "Date\tAmount\tMemo\n2024-01-02\t-3,50\tCafé\n".encode("utf-16")

    statement = parse_csv(data)

    assert (statement.mapping["encoding"], statement.mapping["delimiter"]) == ("utf-16", "\t")
    assert (statement.rows[0].amount, statement.rows[0].description) == (Decimal("-3.50"), "Café")


def test_explicit_encoding_that_does_not_fit_is_a_clear_error():
    with pytest.raises(StatementError, match="cannot be read as utf-8"):
        parse_csv("Date,Amount\n2024-01-01,1\n".encode("cp1252") + b"\xe9", {"encoding": "utf-8"})


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_endings(newline):
    data = newline.join(["Date,Amount,Memo", "2024-01-02,-3.00,a", "2024-01-03,4.00,b"])

    statement = parse_csv(data.encode())

    assert [(r.line, r.amount) for r in statement.rows] == [
        (2, Decimal("-3.00")),
        (3, Decimal("4.00")),
    ]


def test_quoted_multiline_field_is_one_row():
    data = b'Date,Memo,Amount\n2024-01-02,"two\nlines",-3.00\n2024-01-03,x,1.00\n'

    statement = parse_csv(data)

    assert [r.description for r in statement.rows] == ["two lines", "x"]
    assert [r.line for r in statement.rows] == [2, 4]


def test_unclosed_quote_does_not_swallow_the_rows_after_it():
    data = (
        b"Date;Memo;Amount\n"
        b'2024-01-02;"broken;-3,00\n'
        b"2024-01-03;fine;4,00\n"
        b"2024-01-04;fine too;5,00\n"
    )

    statement = parse_csv(data)

    assert [r.amount for r in statement.rows] == [
        Decimal("-3.00"),
        Decimal("4.00"),
        Decimal("5.00"),
    ]
    assert any("quote is not closed" in w for w in statement.warnings)


def test_unclosed_quote_past_the_csv_field_limit():
    rows = "".join(f"2024-01-{day:02d};row;-{day},00\n" for day in range(2, 29))
    data = ('Date;Memo;Amount\n2024-01-01;"' + "x" * 140_000 + ";-1,00\n" + rows).encode()

    statement = parse_csv(data)

    assert len(statement.rows) == 28
    assert all(r.is_valid for r in statement.rows)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(delimiter):
    lines = ["Date", "Payee", "Amount"], ["2024-03-01", "Shop, Ltd", "-12.00"]
    text = "\n".join(
        delimiter.join(f'"{c}"' if delimiter in c or "," in c else c for c in row) for row in lines
    )

    statement = parse_csv(text.encode())

    assert statement.mapping["delimiter"] == delimiter
    assert statement.rows[0].merchant == "Shop, Ltd"


# --- dates ------------------------------------------------------------------------------


def test_day_first_is_told_by_any_day_above_12():
    data = b"Date,Amount\n03/04/2024,1\n25/04/2024,2\n"

    statement = parse_csv(data)

    assert statement.mapping["date_format"] == "%d/%m/%Y"
    assert not statement.date_order_ambiguous
    assert statement.rows[0].txn_date == date(2024, 4, 3)


def test_month_first_is_told_by_any_second_part_above_12():
    statement = parse_csv(b"Date,Amount\n03/04/2024,1\n04/25/2024,2\n")

    assert statement.mapping["date_format"] == "%m/%d/%Y"
    assert statement.rows[0].txn_date == date(2024, 3, 4)


def test_ambiguous_order_is_flagged_and_read_day_first():
    statement = parse_csv(b"Date,Amount\n03/04/2024,1\n03/04/2024,2\n")

    assert statement.date_order_ambiguous
    assert statement.mapping["day_first"] is True
    assert statement.rows[0].txn_date == date(2024, 4, 3)


def test_sorted_column_tells_the_order():
    # Month-first this runs 2 Jan, 1 Feb, 1 Mar; day-first it would go 1 Feb, 2 Jan, 3 Jan.
    statement = parse_csv(b"Date,Amount\n01/02/2024,1\n02/01/2024,2\n03/01/2024,3\n")

    assert not statement.date_order_ambiguous
    assert statement.rows[-1].txn_date == date(2024, 3, 1)


def test_value_date_column_resolves_the_booking_date_order():
    data = b"Date,Value date,Amount\n01/02/2024,13/02/2024,1\n"

    statement = parse_csv(data)

    assert not statement.date_order_ambiguous
    assert statement.rows[0].txn_date == date(2024, 2, 1)
    assert statement.rows[0].posted_date == date(2024, 2, 13)


def test_unreadable_date_is_that_rows_error_and_the_rest_parse():
    data = b"Datum;Betrag\n01.02.2025;-1,00\n31.02.2025;-2,00\n03.02.2025;-3,00\n"

    statement = parse_csv(data)

    bad = statement.rows[1]
    assert (bad.line, bad.txn_date, bad.is_valid) == (3, None, False)
    assert "31.02.2025" in bad.error
    assert [r.amount for r in booked(statement)] == [Decimal("-1.00"), Decimal("-3.00")]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2024-01-31"], "%Y-%m-%d"),
        (["31.01.2024"], "%d.%m.%Y"),
        (["31.01.24", "01.02.24"], "%d.%m.%y"),
        (["1/31/2024"], "%m/%d/%Y"),
        (["2/8/15", "2/24/15"], "%m/%d/%y"),
        (["2012/3/22"], "%Y/%m/%d"),
        (["19/2009/10"], "%d/%Y/%m"),
        (["2022-01-06 08:40:02"], "%Y-%m-%d %H:%M:%S"),
        (["20240131"], "%Y%m%d"),
        (["31 Jan 2024", "1 Feb 2024"], "%d %b %Y"),
        (["Jan 31, 2024"], "%b %d, %Y"),
    ],
)
def test_date_formats(values, expected):
    guess = guess_date_column(values)

    assert guess is not None
    assert guess.format(day_first=True) == expected
    parser = DateParser(expected)
    assert all(parser.parse(v) for v in values)


def test_text_column_is_not_dates():
    assert guess_date_column(["Rent", "Groceries", "Bill 12.03.2024"]) is None


# --- amounts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("-1,533.50", ".", "-1533.50"),
        ("$1,036.47", ".", "1036.47"),
        ("1.234,56", ",", "1234.56"),
        ("4.093,32\u00a0€", ",", "4093.32"),
        ("11'373.94", ".", "11373.94"),
        ("1 234,56", ",", "1234.56"),
        ("+30000,77", ",", "30000.77"),
        ("-62,3", ",", "-62.3"),
        ("200", ",", "200"),
        ("(12.50)", ".", "-12.50"),
        ("12,50-", ",", "-12.50"),
        ("12.50 DR", ".", "-12.50"),
        ("−7.00", ".", "-7.00"),
        ("EUR 5.00", ".", "5.00"),
    ],
)
def test_amounts(text, decimal, expected):
    value = parse_amount(text, decimal)

    assert isinstance(value, Decimal)
    assert value == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "decimal"), [("12.50", ","), ("1,2,3", "."), ("abc", "."), ("-", ".")]
)
def test_amounts_that_cannot_be_read(text, decimal):
    with pytest.raises(ValueError, match="unreadable amount"):
        parse_amount(text, decimal)


def test_empty_amount_cell_is_none():
    assert parse_amount("  ", ".") is None


def test_unreadable_amount_is_that_rows_error():
    data = b"Date,Memo,Amount\n2024-01-01,a,1.00\n2024-01-02,b,one\n2024-01-03,c,3.00\n"

    statement = parse_csv(data)

    bad = statement.rows[1]
    assert bad.line == 3
    assert bad.error == "unreadable amount 'one'"
    assert bad.description == "b"
    assert len(booked(statement)) == 2


def test_debit_written_positive_or_negative_is_money_out():
    data = b"Date,Debit,Credit\n2024-01-01,12.00,\n2024-01-02,-13.00,\n2024-01-03,,14.00\n"

    statement = parse_csv(data)

    assert [r.amount for r in statement.rows] == [
        Decimal("-12.00"),
        Decimal("-13.00"),
        Decimal("14.00"),
    ]


def test_decimal_comma_with_dot_thousands_is_detected():
    data = "Datum;Betrag (€)\n01.02.2024;1.234,56\n02.02.2024;-7,5\n".encode()

    statement = parse_csv(data)

    assert (statement.mapping["decimal_separator"], statement.mapping["thousands_separator"]) == (
        ",",
        ".",
    )
    assert [r.amount for r in statement.rows] == [Decimal("1234.56"), Decimal("-7.5")]
    assert statement.accounts[0].currency == "EUR"


# --- the mapping ------------------------------------------------------------------------


def test_partial_mapping_overrides_only_what_it_gives():
    data = b"Date,Amount,Other\n2024-01-01,1.00,5.00\n2024-01-02,2.00,6.00\n"

    statement = parse_csv(data, {"amount_column": 2})

    assert [r.amount for r in statement.rows] == [Decimal("5.00"), Decimal("6.00")]
    assert statement.mapping["date_column"] == 0
    assert statement.mapping["columns"] == ["Date", "Amount", "Other"]


def test_mapping_with_unknown_key_is_refused():
    with pytest.raises(StatementError, match="Unknown mapping setting.*colour"):
        parse_csv(b"Date,Amount\n2024-01-01,1\n", {"colour": "red"})


def test_mapping_with_column_out_of_range_is_refused():
    with pytest.raises(StatementError, match="amount_column is column 7.*only 2 columns"):
        parse_csv(b"Date,Amount\n2024-01-01,1\n", {"amount_column": 7})


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"date_column": "Date"}, "column number"),
        ({"date_format": "%d.%q.%Y"}, "not supported"),
        ({"date_format": "%d.%m"}, "needs a day, a month and a year"),
        ({"decimal_separator": ";"}, "decimal_separator"),
        ({"delimiter": ";;"}, "one character"),
        ({"encoding": "klingon"}, "Unknown text encoding"),
        ({"skip_rows": -1}, "0 or more"),
        ({"description_columns": 1}, "list of column numbers"),
        ({"has_header": False, "header_row": 0}, "no header row"),
        ({"skip_rows": 50}, "skips 50 rows"),
        ("not a dict", "object of settings"),
    ],
)
def test_bad_mappings_are_refused(mapping, message):
    with pytest.raises(StatementError, match=message):
        parse_csv(b"Date,Amount\n2024-01-01,1\n", mapping)


def test_mapping_for_a_headerless_file_with_preamble():
    data = b"My bank export\n\n01.02.2024;Rent;-500,00\n02.02.2024;Pay;1.000,00\n"

    statement = parse_csv(data, {"has_header": False, "skip_rows": 2})

    assert [r.amount for r in statement.rows] == [Decimal("-500.00"), Decimal("1000.00")]
    assert statement.mapping["header_row"] is None


def test_changed_headings_under_a_saved_mapping_warn():
    statement = parse_csv(
        b"Date,Amount\n2024-01-01,1\n", {"columns": ["Datum", "Betrag"], "date_column": 0}
    )

    assert any("differ from the saved mapping" in w for w in statement.warnings)


# --- status, reference, footer ----------------------------------------------------------


def test_status_marks_pending_and_declined_rows():
    data = (
        b"Date,Amount,State,Description\n"
        b"2024-01-01,-1.00,COMPLETED,a\n2024-01-02,-2.00,PENDING,b\n2024-01-03,-3.00,DECLINED,c\n"
    )

    statement = parse_csv(data)

    assert [(r.pending, r.is_valid) for r in statement.rows] == [
        (False, True),
        (True, True),
        (False, False),
    ]
    assert "DECLINED" in statement.rows[2].error


def test_reference_column_is_the_external_id_only_when_unique():
    unique = parse_csv(b"Date,Amount,Reference\n2024-01-01,1,A1\n2024-01-02,2,A2\n")
    repeated = parse_csv(b"Date,Amount,Reference\n2024-01-01,1,A1\n2024-01-02,2,A1\n")

    assert [r.external_id for r in unique.rows] == ["A1", "A2"]
    assert [r.external_id for r in repeated.rows] == ["", ""]
    assert repeated.mapping["reference_column"] is None


def test_footer_lines_are_not_rows_and_are_reported():
    data = b"Date,Memo,Amount\n2024-01-01,a,1.00\n2024-01-02,b,2.00\nTotal,,3.00\n"

    statement = parse_csv(data)

    assert len(statement.rows) == 2
    assert statement.mapping["footer_rows"] == 1
    assert any("line 4 'Total 3.00'" in w for w in statement.warnings)


def test_row_without_a_date_in_the_middle_is_listed_not_dropped():
    data = b"Date,Memo,Amount\n2024-01-01,a,1.00\n,b,2.00\n2024-01-03,c,3.00\n"

    statement = parse_csv(data)

    assert [(r.line, r.error) for r in statement.rows] == [(2, ""), (3, "no date"), (4, "")]


def test_account_column_with_several_accounts_tags_rows():
    data = b"Account number,Date,Amount\nA-1,2024-01-01,1.00\nB-2,2024-01-02,2.00\n"

    statement = parse_csv(data)

    assert [r.account_ref for r in statement.rows] == ["A-1", "B-2"]
    assert [a.ref for a in statement.accounts] == ["A-1", "B-2"]


# --- files that are not CSV statements --------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel"),
        (bytes(range(256)) * 4, "not a text file"),
        (b"OFXHEADER:100\nDATA:OFXSGML\n<OFX></OFX>\n", "OFX"),
        (b"<?xml version='1.0'?><Document/>", "XML"),
        (b"!Type:Bank\nD1/1/24\nT-1.00\n^\n", "QIF"),
        (b"just one line of prose without any columns\n", "not a CSV statement"),
        (b"Name,City\nAnna,Berlin\nBen,Paris\n", "No transactions found"),
    ],
)
def test_files_that_are_not_csv_statements(data, message):
    with pytest.raises(StatementError, match=message):
        parse_csv(data)

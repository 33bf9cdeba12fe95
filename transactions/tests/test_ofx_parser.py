"""OFX/QFX: every OFX and QFX file of the shared bank fixtures gives what MANIFEST.md lists
(the customer's reading), the broken ones give a clear error, and the edge cases hold."""

from datetime import date
from decimal import Decimal

import pytest

from transactions.importing.base import StatementError
from transactions.importing.ofx_parser import join_text, parse_ofx


def total(rows):
    return sum(row.amount for row in rows)


def dates(rows):
    return sorted(row.txn_date for row in rows)


# path: (rows, first date, last date, sum, {account: (currency, closing, closing date)})
VALID_FILES = {
    "ofx/ofxparse__bank_medium.ofx": (
        3, date(2009, 4, 1), date(2009, 4, 3), Decimal("-345.27"),
        {"12300 000012345678": ("CAD", Decimal("382.34"), date(2009, 5, 23))},
    ),
    "ofx/ofxparse__anzcc.ofx": (
        1, date(2017, 5, 8), date(2017, 5, 8), Decimal("-5.50"),
        {"1234123412341234": ("AUD", Decimal("-123.45"), date(2017, 5, 10))},
    ),
    "ofx/ofxparse__suncorp.ofx": (
        1, date(2013, 12, 15), date(2013, 12, 15), Decimal("-16.85"),
        {"123456789": ("AUD", Decimal("1234.12"), date(2013, 12, 15))},
    ),
    "ofx/ofxparse__ofx-v102-empty-tags.ofx": (
        1, date(2018, 5, 7), date(2018, 5, 7), Decimal("12.34"),
        {"12345678": (None, None, None)},
    ),
    "ofx/ofxtools__stmtrs_euro.ofx": (
        2, date(2005, 10, 4), date(2005, 10, 20), Decimal("-500.00"),
        {"999988": ("USD", Decimal("200.29"), date(2005, 10, 29))},
    ),
    "ofx/ofxtools__br_nubank_cc.ofx": (
        6, date(2024, 3, 22), date(2024, 3, 23), Decimal("-1280.91"),
        {"11111111-UUID-UUID-UUID-111111111111": ("BRL", Decimal("-1280.91"), date(2024, 3, 25))},
    ),
    "ofx/oca-bank-statement-import__test_ofx.ofx": (
        4, date(2013, 8, 24), date(2013, 8, 24), Decimal("-360"),
        {
            "123456": ("USD", Decimal("2156.56"), date(2013, 8, 31)),
            "123412341234": ("USD", Decimal("-562.00"), date(2013, 8, 31)),
        },
    ),
    "ofx/beangulp__ofxdownload.ofx": (
        12, date(2013, 12, 1), date(2013, 12, 16), Decimal("-352.82"),
        {"379700001111222": ("USD", Decimal("-2356.38"), date(2013, 12, 18))},
    ),
    "ofx/ledger-autosync__accented_characters_latin1.ofx": (
        1, date(2014, 9, 20), date(2014, 9, 20), Decimal("-58.73"),
        {"1452687~7": ("USD", Decimal("100.99"), date(2014, 9, 20))},
    ),
    "qfx/actual__html-vals.qfx": (
        2, date(2023, 3, 1), date(2023, 5, 9), Decimal("-2.00"),
        {"00000 00-00000": ("CAD", Decimal("1111.11"), date(2023, 11, 6))},
    ),
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(VALID_FILES))
def test_every_valid_fixture_gives_the_manifest_figures(bank_fixture, path):
    count, first, last, expected_sum, accounts = VALID_FILES[path]

    statement = parse_ofx(bank_fixture(path))

    assert len(statement.rows) == count
    assert all(row.is_valid for row in statement.rows)
    assert dates(statement.rows)[0] == first
    assert dates(statement.rows)[-1] == last
    assert total(statement.rows) == expected_sum
    found = {a.ref: (a.currency, a.closing_balance, a.closing_date) for a in statement.accounts}
    assert found == accounts
    assert {row.account_ref for row in statement.rows} <= set(accounts)
    for row in statement.rows:
        assert row.currency == (accounts[row.account_ref][0] or "AUD")  # empty-tags: CURSYM
        assert row.external_id or path.endswith("empty-tags.ofx")


def test_bank_medium_rows_read_as_the_customer_sees_them(bank_fixture):
    statement = parse_ofx(bank_fixture("ofx/ofxparse__bank_medium.ofx"))

    first = statement.rows[0]
    assert first.amount == Decimal("-6.60")
    assert first.merchant == "MCDONALD'S #112"
    assert first.description == "POS MERCHANDISE;MCDONALD'S #112"  # MEMO holds NAME already
    assert first.external_id == "0000123456782009040100001"
    assert first.posted_date == first.txn_date == date(2009, 4, 1)
    assert [row.line for row in statement.rows] == [15, 16, 17]


def test_suncorp_cdata_is_read_and_trimmed(bank_fixture):
    (row,) = parse_ofx(bank_fixture("ofx/ofxparse__suncorp.ofx")).rows

    assert row.merchant == "EFTPOS WDL HANDYWAY ALDI STORE"
    assert row.description == "EFTPOS WDL HANDYWAY ALDI STORE GEELONG WEST VICAU"


def test_empty_curdef_gives_no_currency_and_a_warning(bank_fixture):
    statement = parse_ofx(bank_fixture("ofx/ofxparse__ofx-v102-empty-tags.ofx"))

    assert statement.accounts[0].currency is None
    assert any("CURDEF is empty" in warning for warning in statement.warnings)
    (row,) = statement.rows
    assert row.description == "CBA:Transfer"
    assert row.external_id == ""  # empty FITID: the importer hashes the row instead
    assert row.currency == "AUD"  # the transaction's own CURRENCY/CURSYM
    assert row.balance == Decimal("123.45")


def test_rows_with_bad_dates_are_kept_with_their_reasons(bank_fixture):
    statement = parse_ofx(bank_fixture("ofx/ofxparse__fail_nice_date_missing.ofx"))

    assert [row.error for row in statement.rows] == [
        "no posted date (DTPOSTED)",
        "empty posted date (DTPOSTED)",
        "unreadable date '20120231'",
    ]
    assert not any(row.is_valid for row in statement.rows)
    assert [row.amount for row in statement.rows] == [
        Decimal("-80.00"),
        Decimal("200.00"),
        Decimal("200.00"),
    ]
    assert statement.accounts[0].ref == "192639749"
    assert any("2000957249 appears more than once" in w for w in statement.warnings)


def test_decimal_comma_amounts_and_cheque_number(bank_fixture):
    statement = parse_ofx(bank_fixture("ofx/ofxtools__stmtrs_euro.ofx"))

    cheque, atm = statement.rows
    assert cheque.amount == Decimal("-200.00")
    assert cheque.description == "CHECK 1000"
    assert cheque.notes == "Cheque 1000"
    assert atm.txn_date == date(2005, 10, 20)  # DTUSER
    assert atm.description == "ATM"


def test_nubank_without_closing_banktranlist_keeps_its_balance(bank_fixture):
    statement = parse_ofx(bank_fixture("ofx/ofxtools__br_nubank_cc.ofx"))

    assert statement.accounts[0].closing_balance == total(statement.rows)


def test_one_statement_with_four_transaction_lists_and_a_card_account(bank_fixture):
    statement = parse_ofx(bank_fixture("ofx/oca-bank-statement-import__test_ofx.ofx"))

    assert [a.ref for a in statement.accounts] == ["123456", "123412341234"]
    assert {row.account_ref for row in statement.rows} == {"123456"}
    assert statement.rows[0].merchant == "Agrolait"
    assert statement.rows[0].txn_date == date(2013, 8, 24)
    # OCA's balance_start: the closing balance less what the statement moved.
    assert statement.accounts[0].closing_balance - total(statement.rows) == Decimal("2516.56")


def test_one_line_body_numbers_rows_by_record(bank_fixture):
    statement = parse_ofx(bank_fixture("ofx/beangulp__ofxdownload.ofx"))

    assert [row.line for row in statement.rows] == list(range(1, 13))
    assert statement.rows[0].description == "SPOTIFY USA 28770130901 / 2600720879 WWW.SPOTIFY.COM"
    assert statement.rows[8].merchant == "MACY'S / #003 HERALD S / NEW YORK"
    assert statement.format == "qfx"  # INTU/vendor tags; detect passes "ofx" for a .ofx name


def test_latin1_byte_under_an_ascii_header_is_read_as_cp1252(bank_fixture):
    statement = parse_ofx(bank_fixture("ofx/ledger-autosync__accented_characters_latin1.ofx"))

    (row,) = statement.rows
    assert row.merchant == "Virement Interac à: Jean"
    # CORRECTACTION REPLACE of a FITID that is not earlier in the file: kept, with a warning.
    assert any("corrects transaction 201409206" in w for w in statement.warnings)


def test_html_entities_are_decoded_even_when_escaped_twice(bank_fixture):
    statement = parse_ofx(bank_fixture("qfx/actual__html-vals.qfx"))

    hydro, tpay = statement.rows
    assert hydro.merchant == "000000000000000"
    assert "PREAUTHORIZED DEBIT;B.C. HYDRO & POWER AUTHORITY;Electronic Funds Transfer" in (
        hydro.description
    )
    assert tpay.merchant == "TPAY <DEFTPYMT>"
    assert tpay.description.endswith("LUXMORE REALTY PPTY MGMT;Electronic Funds Transfer")
    assert [row.txn_date for row in statement.rows] == [date(2023, 5, 9), date(2023, 3, 1)]
    assert statement.format == "qfx"


def test_truncated_file_is_refused(bank_fixture):
    with pytest.raises(StatementError, match="truncated"):
        parse_ofx(bank_fixture("ofx/finances__invalid_bank_xml_truncated.ofx"))


def test_commented_out_account_is_refused(bank_fixture):
    with pytest.raises(StatementError, match="names no account"):
        parse_ofx(bank_fixture("ofx/oca-bank-statement-import__test_ofx_wrong.ofx"))


# --- edge cases -----------------------------------------------------------------------------

SGML_HEADER = b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nENCODING:USASCII\nCHARSET:1252\n\n"


def sgml(transactions: bytes, *, curdef: bytes = b"EUR", acct: bytes = b"ACC-1") -> bytes:
    return (
        SGML_HEADER
        + b"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>"
        + curdef
        + b"\n<BANKACCTFROM><BANKID>1<ACCTID>"
        + acct
        + b"<ACCTTYPE>CHECKING</BANKACCTFROM>\n<BANKTRANLIST>\n"
        + transactions
        + b"</BANKTRANLIST><LEDGERBAL><BALAMT>10.00<DTASOF>20250301</LEDGERBAL>"
        + b"</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )


def trn(fitid: bytes, amount: bytes = b"-1.00", extra: bytes = b"") -> bytes:
    return (
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20250301<TRNAMT>"
        + amount
        + b"<FITID>"
        + fitid
        + b"<NAME>Shop"
        + extra
        + b"</STMTTRN>\n"
    )


def test_dtuser_is_the_transaction_date_and_time_zones_do_not_shift_it():
    data = sgml(
        b"<STMTTRN><TRNTYPE>POS<DTPOSTED>20250303230000.000[-5:EST]<DTUSER>20250228"
        b"<TRNAMT>-4.20<FITID>A1<NAME>Cafe</STMTTRN>\n"
    )

    (row,) = parse_ofx(data).rows

    assert row.txn_date == date(2025, 2, 28)
    assert row.posted_date == date(2025, 3, 3)
    assert row.currency == "EUR"


def test_unclosed_stmttrn_is_closed_by_the_next_one():
    data = sgml(
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20250301<TRNAMT>-1<FITID>A<NAME>One\n"
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20250302<TRNAMT>-2<FITID>B<NAME>Two\n"
    )

    rows = parse_ofx(data).rows

    assert [(row.external_id, row.amount, row.merchant) for row in rows] == [
        ("A", Decimal("-1"), "One"),
        ("B", Decimal("-2"), "Two"),
    ]


def test_empty_unclosed_leaf_does_not_swallow_its_siblings():
    data = sgml(
        b"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20250301<TRNAMT>-1<FITID>A<NAME>\n"
        b"<MEMO>Memo only</STMTTRN>\n"
    )

    (row,) = parse_ofx(data).rows

    assert (row.merchant, row.description) == ("", "Memo only")


def test_unreadable_amount_is_a_row_error_and_the_rest_imports():
    data = sgml(trn(b"A", b"12x") + trn(b"B", b"1.234,56"))

    bad, good = parse_ofx(data).rows

    assert bad.error == "unreadable amount '12x'"
    assert good.amount == Decimal("1234.56")
    assert good.is_valid


def test_several_statements_give_several_accounts_and_tagged_rows():
    bank = sgml(trn(b"A"), acct=b"111")
    card = (
        b"<CREDITCARDMSGSRSV1><CCSTMTTRNRS><CCSTMTRS><CURDEF>USD<CCACCTFROM><ACCTID>222"
        b"</CCACCTFROM><BANKTRANLIST>"
        + trn(b"B", b"-9.99")
        + b"</BANKTRANLIST><LEDGERBAL><BALAMT>-9.99<DTASOF>20250302</LEDGERBAL></CCSTMTRS>"
        b"</CCSTMTTRNRS></CREDITCARDMSGSRSV1></OFX>"
    )
    data = bank.replace(b"</OFX>\n", card)

    statement = parse_ofx(data)

    assert [(a.ref, a.currency, a.closing_balance) for a in statement.accounts] == [
        ("111", "EUR", Decimal("10.00")),
        ("222", "USD", Decimal("-9.99")),
    ]
    assert [(row.account_ref, row.currency) for row in statement.rows] == [
        ("111", "EUR"),
        ("222", "USD"),
    ]


def test_replace_correction_supersedes_the_earlier_row_in_the_file():
    data = sgml(
        trn(b"A", b"-10.00")
        + trn(b"A2", b"-12.00", b"<CORRECTFITID>A<CORRECTACTION>REPLACE")
        + trn(b"C", b"-1.00")
    )

    statement = parse_ofx(data)

    assert [(row.external_id, row.amount) for row in statement.rows] == [
        ("A2", Decimal("-12.00")),
        ("C", Decimal("-1.00")),
    ]
    assert any("replaces transaction A" in warning for warning in statement.warnings)


def test_delete_correction_removes_both_rows_or_lists_the_cancellation():
    in_file = parse_ofx(
        sgml(trn(b"A") + trn(b"D", extra=b"<CORRECTFITID>A<CORRECTACTION>DELETE") + trn(b"C"))
    )
    earlier = parse_ofx(sgml(trn(b"D", extra=b"<CORRECTFITID>OLD<CORRECTACTION>DELETE")))

    assert [row.external_id for row in in_file.rows] == ["C"]
    assert any("cancelled transaction A" in warning for warning in in_file.warnings)
    (cancellation,) = earlier.rows
    assert "cancels transaction OLD" in cancellation.error


def test_header_that_lies_about_utf8_falls_back_to_cp1252():
    data = sgml(trn(b"A", extra=b" Caf\xe9 \x80")).replace(b"ENCODING:USASCII", b"ENCODING:UTF-8")

    statement = parse_ofx(data)

    assert statement.rows[0].merchant == "Shop Café €"
    assert statement.warnings == [
        "The file says UTF-8 but is not; it was read as Windows-1252 (cp1252)."
    ]


def test_transaction_in_another_currency_carries_it():
    data = sgml(trn(b"A", extra=b"<CURRENCY><CURRATE>1.1<CURSYM>USD</CURRENCY>"))

    (row,) = parse_ofx(data).rows

    assert row.currency == "USD"


def test_xml_v2_with_utf8_and_payee_aggregate():
    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?OFX OFXHEADER="200" VERSION="220"?>\n'
        "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR</CURDEF>"
        "<BANKACCTFROM><BANKID>1</BANKID><ACCTID>DE1</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE>"
        "</BANKACCTFROM><BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT</TRNTYPE>"
        "<DTPOSTED>20250301</DTPOSTED><TRNAMT>-3.50</TRNAMT><FITID>X</FITID>"
        "<PAYEE><NAME>Bäckerei Müller</NAME><ADDR1>Hauptstr. 1</ADDR1></PAYEE>"
        "<MEMO>Brötchen &amp; Kaffee</MEMO></STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS>"
        "</BANKMSGSRSV1></OFX>"
    ).encode()

    statement = parse_ofx(data)

    (row,) = statement.rows
    assert row.merchant == "Bäckerei Müller"
    assert row.description == "Bäckerei Müller / Brötchen & Kaffee"
    assert statement.warnings == []
    assert statement.format == "ofx"


@pytest.mark.parametrize(
    "doctype",
    [
        b'<!DOCTYPE OFX [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        b'<!DOCTYPE OFX [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    ],
    ids=["xxe", "billion-laughs"],
)
def test_dtds_and_entities_are_refused(doctype):
    data = (
        b'<?xml version="1.0"?>\n'
        + doctype
        + sgml(trn(b"A", extra=b"&xxe;&b;"))[len(SGML_HEADER) :]
    )

    with pytest.raises(StatementError, match="refused for safety"):
        parse_ofx(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"OFXHEADER:100\n\nno ofx here", "no <OFX> element"),
        (SGML_HEADER + b"<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>", "no bank or credit-card"),
        (
            SGML_HEADER + b"<OFX><INVSTMTMSGSRSV1><INVSTMTRS></INVSTMTRS></INVSTMTMSGSRSV1></OFX>",
            "investment statement",
        ),
        (sgml(trn(b"A")).replace(b"<BANKTRANLIST>", b"<!-- <BANKTRANLIST>"), "comment"),
        (sgml(trn(b"A"))[:-40], "truncated"),
    ],
    ids=["no-ofx", "no-statement", "investment", "open-comment", "cut"],
)
def test_files_that_cannot_be_imported_say_why(data, message):
    with pytest.raises(StatementError, match=message):
        parse_ofx(data)


def test_join_text_leaves_out_repeats():
    assert join_text("Shop", "POS Shop 12") == "POS Shop 12"
    assert join_text("POS Shop 12", "shop") == "POS Shop 12"
    assert join_text("", "  memo  ") == "memo"
    assert join_text("A", "B") == "A / B"

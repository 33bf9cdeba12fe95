"""Format detection and parse_statement: every fixture is recognised by its content, the
name and an explicit format are honoured, and files that are no statement say so."""

import sys
import types
import zipfile
from io import BytesIO

import pytest

from transactions.importing.base import ParsedStatement, StatementError
from transactions.importing.detect import detect_format, parse_statement

# path: (format, rows)
FIXTURES = {
    "ofx/ofxparse__bank_medium.ofx": ("ofx", 3),
    "ofx/ofxparse__anzcc.ofx": ("ofx", 1),
    "ofx/ofxparse__suncorp.ofx": ("ofx", 1),
    "ofx/ofxparse__ofx-v102-empty-tags.ofx": ("ofx", 1),
    "ofx/ofxparse__fail_nice_date_missing.ofx": ("ofx", 3),
    "ofx/ofxtools__stmtrs_euro.ofx": ("ofx", 2),
    "ofx/ofxtools__br_nubank_cc.ofx": ("ofx", 6),
    "ofx/oca-bank-statement-import__test_ofx.ofx": ("ofx", 4),
    "ofx/beangulp__ofxdownload.ofx": ("ofx", 12),
    "ofx/ledger-autosync__accented_characters_latin1.ofx": ("ofx", 1),
    "qfx/actual__html-vals.qfx": ("qfx", 2),
    "qif/oca-bank-statement-import__test_qif.qif": ("qif", 5),
    "qif/oca-bank-statement-import__test_qif_dmy.qif": ("qif", 5),
    "qif/rechnungspilot__targobank-duesseldorf.qif": ("qif", 10),
    "qif/csv2ofx__default_w_splits.qif": ("qif", 8),
    "camt053/oca-bank-statement-import__test-camt053": ("camt053", 4),
    "camt053/oca-bank-statement-import__test-camt053-no-ntry": ("camt053", 0),
    "camt053/ofxstatement-iso20022__simple.xml": ("camt053", 4),
    "camt053/ofxstatement-iso20022__camt053.xml": ("camt053", 1),
}
BROKEN = {
    "ofx/finances__invalid_bank_xml_truncated.ofx": "truncated",
    "ofx/oca-bank-statement-import__test_ofx_wrong.ofx": "names no account",
    "csv/hledger__csvnoinclude_empty.csv": "empty",
}
CSV_FILES = [
    "csv/beangulp__csvbank_statement.csv",
    "csv/csv2ofx__creditunion.csv",
    "csv/csv2ofx__gls.csv",
    "csv/csv2ofx__ingesp.csv",
    "csv/csv2ofx__n26-fr.csv",
    "csv/csv2ofx__schwab-checking.csv",
    "csv/csv2ofx__ubs-ch-fr_trimmed.csv",
    "csv/hledger__sample.fr.cp1252.csv",
    "csv/hledger__sample.ssv",
    "csv/hledger__sample.tsv",
    "csv/oca-bank-statement-import__debit_credit.csv",
    "csv/oca-bank-statement-import__empty_statement_en.csv",
    "csv/oca-bank-statement-import__meta_data_separated_credit_debit.csv",
    "csv/oca-bank-statement-import__multi_currency.csv",
    "csv/ofxstatement-revolut__2022-january.csv",
    "csv/rechnungspilot__dkb.csv",
    "csv/rechnungspilot__ing.csv",
    "csv/rechnungspilot__targobank-duesseldorf.csv",
]


@pytest.fixture
def fake_csv(monkeypatch):
    """Stands in for csv_parser so these tests check the delegation, not CSV parsing."""
    calls = []

    def parse_csv(data, mapping=None):
        calls.append((data, mapping))
        return ParsedStatement(format="csv", mapping=mapping)

    module = types.ModuleType("transactions.importing.csv_parser")
    module.parse_csv = parse_csv
    monkeypatch.setitem(sys.modules, "transactions.importing.csv_parser", module)
    return calls


@pytest.mark.parametrize("path", sorted(FIXTURES))
def test_every_fixture_is_detected_and_parsed_by_content(bank_fixture, path):
    expected_format, rows = FIXTURES[path]
    data = bank_fixture(path)
    filename = path.rsplit("/", 1)[1]

    assert detect_format(data, filename=filename) == expected_format
    assert detect_format(data) in (expected_format, "qfx")  # without a name to go by
    statement = parse_statement(data, filename=filename)
    assert statement.format == expected_format
    assert len(statement.rows) == rows


@pytest.mark.parametrize("path", sorted(BROKEN))
def test_broken_fixtures_give_a_clear_error(bank_fixture, path):
    with pytest.raises(StatementError, match=BROKEN[path]):
        parse_statement(bank_fixture(path), filename=path.rsplit("/", 1)[1])


@pytest.mark.parametrize("path", CSV_FILES)
def test_csv_fixtures_are_detected_as_csv(bank_fixture, path):
    assert detect_format(bank_fixture(path), filename=path.rsplit("/", 1)[1]) == "csv"


def test_csv_goes_to_the_csv_parser_with_the_mapping(fake_csv):
    data = b"Date,Amount\n2025-03-01,1.00\n"

    statement = parse_statement(data, filename="x.csv", mapping={"day_first": True})

    assert statement.format == "csv"
    assert fake_csv == [(data, {"day_first": True})]


def test_explicit_format_wins_over_content_and_name(fake_csv):
    qif = b"!Type:Bank\nD3/1/2025\nT-1.00\n^\n"

    assert parse_statement(qif, filename="x.ofx", format="csv").format == "csv"
    assert parse_statement(qif, filename="x.csv", format=" QIF ").format == "qif"
    assert len(fake_csv) == 1


def test_format_aliases_and_unknown_formats(bank_fixture):
    data = bank_fixture("camt053/ofxstatement-iso20022__camt053.xml")

    assert parse_statement(data, format="camt").format == "camt053"
    with pytest.raises(StatementError, match="Unknown format 'xls'"):
        parse_statement(data, format="xls")


def test_qfx_is_told_by_name_or_by_intuit_tags(bank_fixture):
    data = bank_fixture("ofx/ofxparse__bank_medium.ofx")  # has <INTU.BID>

    assert detect_format(data, filename="statement.ofx") == "ofx"
    assert detect_format(data, filename="statement.QFX") == "qfx"
    assert detect_format(data) == "qfx"
    assert parse_statement(data, filename="statement.qfx").format == "qfx"


def test_ofx_without_header_after_blank_lines_and_xml_declared():
    body = b"<OFX><BANKMSGSRSV1></BANKMSGSRSV1></OFX>"

    assert detect_format(b"\r\n\r\n" + body) == "ofx"
    assert detect_format(b'<?xml version="1.0"?>\n<?OFX OFXHEADER="200"?>\n' + body) == "ofx"
    assert detect_format(b"\n\n\nOFXHEADER:100\nDATA:OFXSGML\n\n" + body) == "ofx"


def test_qif_by_any_header_or_by_name():
    assert detect_format(b"\xef\xbb\xbf!Type:CCard\nD1/2'05\nT-1\n^") == "qif"
    assert detect_format(b"!Account\nNCash\n^\n") == "qif"
    assert detect_format(b"!Option:AutoSwitch\n!Account\n") == "qif"
    assert detect_format(b"D1/2/2025\nT-1.00\n^\n", filename="old.qif") == "qif"


def test_utf16_files_are_read():
    data = "!Type:Bank\nD3/1/2025\nT-1.00\nPCafé\n^\n".encode("utf-16")

    statement = parse_statement(data)

    assert statement.rows[0].merchant == "Café"


def _zip() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("statement.csv", "Date,Amount\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "x.csv", "The file is empty"),
        (b" \r\n\t\n", "", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "statement.csv", "PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "statement.ofx", "PDF document"),
        (_zip(), "statement.xlsx", "ZIP archive"),
        (bytes(range(256)) * 8, "statement.qif", "binary data"),
        (b"<!DOCTYPE html><html><body>Login</body></html>", "x.ofx", "web page"),
        (b"Date,Amount\n2025-03-01,1.00\n", "statement.ofx", "is not an OFX file"),
    ],
    ids=["empty", "blank", "png", "pdf", "zip", "binary", "html", "csv-named-ofx"],
)
def test_files_that_are_no_statement_say_what_they_are(data, filename, message):
    with pytest.raises(StatementError, match=message):
        parse_statement(data, filename=filename)


def test_wrong_type_is_refused_even_with_an_explicit_format():
    with pytest.raises(StatementError, match="PNG image"):
        parse_statement(b"\x89PNG\r\n\x1a\n" + bytes(100), format="csv")


def test_xml_that_is_no_camt053_is_refused():
    with pytest.raises(StatementError, match="camt.054 message"):
        parse_statement(
            b'<?xml version="1.0"?>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">'
            b"<BkToCstmrDbtCdtNtfctn/></Document>"
        )
    with pytest.raises(StatementError, match="not a camt.053"):
        parse_statement(b'<?xml version="1.0"?><rss><channel/></rss>', filename="feed.xml")


def test_oversize_files_are_refused(settings):
    settings.IMPORT_MAX_FILE_BYTES = 2048

    with pytest.raises(StatementError, match="up to 2 KB"):
        parse_statement(b"!Type:Bank\n" + b"D3/1/2025\nT-1.00\n^\n" * 200)

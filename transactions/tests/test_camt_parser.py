"""CAMT.053: every camt053 file of the shared bank fixtures gives what MANIFEST.md lists,
and batches, reversals, pending entries, versions and unsafe or broken XML behave."""

from datetime import date
from decimal import Decimal

import pytest

from transactions.importing.base import StatementError
from transactions.importing.camt_parser import parse_camt053

# path: (rows, sum, ref, currency, opening, closing, closing date)
VALID_FILES = {
    "camt053/oca-bank-statement-import__test-camt053": (
        4, Decimal("-12.99"), "NL77ABNA0574908765", "EUR",
        Decimal("15568.27"), Decimal("15121.12"), date(2014, 1, 5),
    ),
    "camt053/oca-bank-statement-import__test-camt053-no-ntry": (
        0, 0, "NL77ABNA0574908765", "CHF",
        Decimal("1520.76"), Decimal("1520.76"), date(2014, 1, 5),
    ),
    "camt053/ofxstatement-iso20022__simple.xml": (
        4, Decimal("-181.01"), "LT000000000000000000", "EUR",
        Decimal("306.53"), Decimal("125.52"), date(2015, 12, 31),
    ),
    "camt053/ofxstatement-iso20022__camt053.xml": (
        1, Decimal("1284.30"), "0035-2915203-10-000", "CHF",
        Decimal("832.01"), Decimal("2116.31"), date(2023, 1, 25),
    ),
}  # fmt: skip


@pytest.mark.parametrize("path", sorted(VALID_FILES))
def test_every_fixture_gives_the_manifest_figures(bank_fixture, path):
    count, expected_sum, ref, currency, opening, closing, closing_date = VALID_FILES[path]

    statement = parse_camt053(bank_fixture(path))

    assert statement.format == "camt053"
    assert len(statement.rows) == count
    assert all(row.is_valid and not row.pending for row in statement.rows)
    assert sum(row.amount for row in statement.rows) == expected_sum
    (account,) = statement.accounts
    assert (account.ref, account.currency) == (ref, currency)
    assert (account.opening_balance, account.closing_balance) == (opening, closing)
    assert account.closing_date == closing_date
    assert all(row.account_ref == ref and row.currency == currency for row in statement.rows)
    assert statement.warnings == []


def test_oca_batch_gives_one_row_per_transaction_and_keeps_the_debit_sign(bank_fixture):
    rows = parse_camt053(bank_fixture("camt053/oca-bank-statement-import__test-camt053")).rows

    assert [row.amount for row in rows] == [
        Decimal("-754.25"),
        Decimal("-564.05"),
        Decimal("-100.00"),
        Decimal("1405.31"),
    ]
    assert all(row.txn_date == row.posted_date == date(2014, 1, 5) for row in rows)
    assert rows[0].external_id == "435005714488-ABNO33052620"
    assert rows[0].merchant == "INSURANCE COMPANY TESTX"  # creditor of a debit
    assert rows[0].description == "Insurance policy 857239PERIOD 01.01.2014 - 31.12.2014"
    assert [row.notes for row in rows] == ["", "Reversal", "Reversal", ""]
    assert rows[1].line == rows[2].line == 113  # the batch entry's line
    assert rows[3].external_id == "115"
    assert rows[3].merchant == "3rd party Media"  # debtor of a credit
    assert rows[3].description == "#RD PARTY MEDIA CUSNO 90782 4210773"


def test_lithuanian_statement_reads_utf8_and_datetime_booking_dates(bank_fixture):
    rows = parse_camt053(bank_fixture("camt053/ofxstatement-iso20022__simple.xml")).rows

    first = rows[0]
    assert first.amount == Decimal("-0.29")
    assert first.description == "Sąskaitos aptarnavimo mokestis"
    assert first.merchant == "AB DNB Bankas"
    assert first.external_id == "FC1261858984"
    assert first.posted_date == first.txn_date == date(2015, 12, 31)


def test_version_08_reads_nested_party_and_transaction_reference(bank_fixture):
    (row,) = parse_camt053(bank_fixture("camt053/ofxstatement-iso20022__camt053.xml")).rows

    assert row.merchant == "PAYEE"
    assert row.description == "PAYMENT INFO"
    assert row.external_id == "A032-J30K20-03-JF021"


# --- edge cases -----------------------------------------------------------------------------


def camt(entries: str, *, version: str = "08", account: str = "<IBAN>DE02100100100006820101</IBAN>",
         balances: str = "", declaration: bool = True) -> bytes:  # fmt: skip
    head = '<?xml version="1.0" encoding="UTF-8"?>\n' if declaration else ""
    return (
        f'{head}<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr><Stmt><Id>S1</Id>"
        f"<Acct><Id>{account}</Id></Acct>{balances}\n{entries}</Stmt></BkToCstmrStmt></Document>"
    ).encode()


def entry(amount="10.00", indicator="DBIT", *, status="<Sts><Cd>BOOK</Cd></Sts>", extra="",
          details="", booking="<BookgDt><Dt>2025-03-01</Dt></BookgDt>") -> str:  # fmt: skip
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>{extra}'
        f"{status}{booking}<ValDt><Dt>2025-03-02</Dt></ValDt>"
        f"<NtryDtls>{details}</NtryDtls></Ntry>\n"
    )


def balance(code: str, amount: str, indicator: str = "CRDT") -> str:
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy='EUR'>{amount}</Amt>"
        f"<CdtDbtInd>{indicator}</CdtDbtInd><Dt><Dt>2025-03-31</Dt></Dt></Bal>"
    )


@pytest.mark.parametrize("version", ["02", "03", "04", "05", "06", "07", "08"])
def test_every_version_reads_the_same(version):
    statement = parse_camt053(camt(entry(), version=version, declaration=False))

    (row,) = statement.rows
    assert (row.amount, row.currency, row.posted_date) == (
        Decimal("-10.00"),
        "EUR",
        date(2025, 3, 1),
    )
    assert statement.accounts[0].ref == "DE02100100100006820101"
    assert statement.accounts[0].currency == "EUR"  # from the entries when Acct has no Ccy


def test_debit_balances_are_negative_and_prcd_opens_when_there_is_no_opbd():
    statement = parse_camt053(
        camt(entry(), balances=balance("PRCD", "5.00") + balance("CLBD", "5.00", "DBIT"))
    )

    (account,) = statement.accounts
    assert (account.opening_balance, account.closing_balance) == (Decimal("5.00"), Decimal("-5.00"))
    assert account.closing_date == date(2025, 3, 31)


def test_pending_entries_are_marked():
    old_style = entry(status="<Sts>PDNG</Sts>")
    new_style = entry(status="<Sts><Cd>PDNG</Cd></Sts>")

    rows = parse_camt053(camt(old_style + new_style + entry())).rows

    assert [row.pending for row in rows] == [True, True, False]


def test_reversal_keeps_the_sign_the_bank_booked():
    rows = parse_camt053(
        camt(entry("7.00", "CRDT", extra="<RvslInd>true</RvslInd>") + entry("7.00", "DBIT"))
    ).rows

    assert [(row.amount, row.notes) for row in rows] == [
        (Decimal("7.00"), "Reversal"),
        (Decimal("-7.00"), ""),
    ]


def test_card_payment_date_and_missing_booking_date():
    details = (
        "<TxDtls><Refs><AcctSvcrRef>R1</AcctSvcrRef></Refs>"
        "<RltdDts><AccptncDtTm>2025-02-27T18:30:00+01:00</AccptncDtTm></RltdDts>"
        "<RltdPties><Cdtr><Nm>Kiosk</Nm></Cdtr></RltdPties>"
        "<RmtInf><Ustrd>Card</Ustrd><Ustrd>payment</Ustrd></RmtInf></TxDtls>"
    )
    card = entry(details=details, extra="<AddtlNtryInf>VISA 1234</AddtlNtryInf>")
    undated = entry(booking="").replace("<ValDt><Dt>2025-03-02</Dt></ValDt>", "")

    card_row, undated_row = parse_camt053(camt(card + undated)).rows

    assert (card_row.txn_date, card_row.posted_date) == (date(2025, 2, 27), date(2025, 3, 1))
    assert card_row.merchant == "Kiosk"
    assert card_row.description == "Card payment / VISA 1234"
    assert card_row.external_id == "R1"
    assert undated_row.error == "no booking date (BookgDt or ValDt)"
    assert not undated_row.is_valid


def test_batch_whose_parts_do_not_add_up_is_one_row():
    part = "<TxDtls><Amt Ccy='EUR'>{}</Amt><Refs><EndToEndId>{}</EndToEndId></Refs></TxDtls>"
    details = part.format("3.00", "E1") + part.format("4.00", "E2")
    statement = parse_camt053(
        camt(entry("10.00", details=details, extra="<AcctSvcrRef>B1</AcctSvcrRef>"))
    )

    (row,) = statement.rows
    assert (row.amount, row.external_id) == (Decimal("-10.00"), "B1")
    assert "add up to -7.00" in statement.warnings[0]


def test_batch_parts_share_the_entry_reference_with_a_suffix():
    part = (
        "<TxDtls><Amt Ccy='EUR'>{}</Amt><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs></TxDtls>"
    )
    details = part.format("6.00") + part.format("4.00")

    rows = parse_camt053(
        camt(entry("10.00", details=details, extra="<AcctSvcrRef>B1</AcctSvcrRef>"))
    ).rows

    assert [(row.amount, row.external_id) for row in rows] == [
        (Decimal("-6.00"), "B1/1"),
        (Decimal("-4.00"), "B1/2"),
    ]


def test_unreadable_amount_and_indicator_are_row_errors():
    rows = parse_camt053(camt(entry("ten") + entry("1.00", "XXX") + entry())).rows

    assert rows[0].error == "unreadable amount 'ten'"
    assert rows[1].amount is None and "CdtDbtInd" in rows[1].error
    assert rows[2].is_valid


def test_several_statements_give_several_accounts():
    second = camt(entry("1.00", "CRDT"), account="<Othr><Id>99-1</Id></Othr>")
    stmt = second[second.index(b"<Stmt>") : second.index(b"</BkToCstmrStmt>")]
    data = camt(entry()).replace(b"</BkToCstmrStmt>", stmt + b"</BkToCstmrStmt>")

    statement = parse_camt053(data)

    assert [a.ref for a in statement.accounts] == ["DE02100100100006820101", "99-1"]
    assert [row.account_ref for row in statement.rows] == ["DE02100100100006820101", "99-1"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (camt(entry())[:-60], "not well-formed XML"),
        (b'<?xml version="1.0"?><invoice><total>1</total></invoice>', "not a camt.053"),
        (
            camt(entry()).replace(b"camt.053.001.08", b"camt.052.001.08"),
            "camt.052 message, not a camt.053",
        ),
        (camt(entry(), account=""), "names no account"),
        (
            b'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + camt(entry("&xxe;"), declaration=False),
            "refused for safety",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;">]>'
            + camt(entry(), declaration=False).replace(b"<Id>S1</Id>", b"<Id>&c;</Id>"),
            "refused for safety",
        ),
    ],
    ids=["truncated", "other-xml", "camt052", "no-account", "xxe", "billion-laughs"],
)
def test_files_that_cannot_be_imported_say_why(data, message):
    with pytest.raises(StatementError, match=message):
        parse_camt053(data)


def test_undeclared_cp1252_is_read():
    data = camt(entry(details="<TxDtls><RmtInf><Ustrd>Caf\xe9</Ustrd></RmtInf></TxDtls>"))
    data = data.split(b"\n", 1)[1].replace("Café".encode(), "Café".encode("cp1252"))

    (row,) = parse_camt053(data).rows

    assert row.description == "Café"

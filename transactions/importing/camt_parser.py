"""ISO 20022 CAMT.053 bank-to-customer statements, versions camt.053.001.02 to .001.08.

No library reads camt.053 into plain rows the way SmartBank needs (the ones on PyPI either
generate Python classes for one schema version or are framework plugins), and the message is
ordinary XML, so it is read here with defusedxml: no DTD, no entities, no external
references (no XXE, no billion laughs). Namespaces are dropped after parsing, so every
version from .001.02 to .001.08 (and later ones, which keep these elements) reads the same.

What a customer gets
--------------------
- Each Stmt is a ParsedAccount: ref is Acct/Id/IBAN, else Acct/Id/Othr/Id; currency is
  Acct/Ccy, else that of the balances or entries; the opening balance is OPBD (else PRCD), the
  closing balance and date are CLBD; a balance with CdtDbtInd DBIT is negative.
- Each Ntry is a row; its sign comes from CdtDbtInd (CRDT +, DBIT -). RvslInd does NOT flip
  the sign: ISO 20022 defines CdtDbtInd as the direction of the entry itself, and RvslInd
  only says that it reverses an earlier entry of the opposite direction ("If the
  CreditDebitIndicator is DBIT and ReversalIndicator is Yes, the original operation was a
  credit entry"). A DBIT reversal takes money out, so the balance moves as the bank's does.
  Such rows say "Reversal" in their notes.
- A batch entry (several TxDtls) gives one row per TxDtls with its own amount, when every
  TxDtls states an amount in the entry's currency and they add up to the entry; otherwise
  the entry is one row (and a warning says why).
- posted_date is BookgDt (Dt or DtTm; else ValDt); txn_date is TxDtls/RltdDts/AccptncDtTm
  where given (a card payment's own date), else the posted date. A DtTm is read as the date
  written in it, without converting time zones.
- external_id is the bank's reference: TxDtls/Refs/AcctSvcrRef, else Ntry/AcctSvcrRef
  (with "/n" for the n-th part of a batch), else the first of UETR, TxId, EndToEndId
  (unless NOTPROVIDED), InstrId. Only AcctSvcrRef and UETR are assigned to be unique by a
  bank; the others come from the payer, so the importer should scope them to the account.
- description is RmtInf/Ustrd (else the structured reference) and AddtlNtryInf, else
  AddtlTxInf; merchant is the counterparty: the creditor (Cdtr) of a debit, the debtor
  (Dbtr) of a credit, or the other one where that is missing.
- Sts PDNG (or INFO, FUTR: not booked) marks the row pending.
- A statement without entries gives its account and balances and no rows.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException

from smartbank.xmltree import parse_with_lines

from .base import ParsedAccount, ParsedRow, ParsedStatement, StatementError

CAMT053_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d+)$")
OTHER_CAMT = re.compile(r"urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3})")
NOT_BOOKED = frozenset({"PDNG", "INFO", "FUTR"})
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def parse_camt053(data: bytes) -> ParsedStatement:
    root, lines = _parse_xml(data)
    namespace, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", "")
    if not CAMT053_NAMESPACE.match(namespace):
        other = OTHER_CAMT.search(namespace)
        if other:
            raise StatementError(
                f"This is an ISO 20022 {other.group(1)} message, not a camt.053 account "
                "statement. Ask the bank for the camt.053 (end-of-day statement) export."
            )
        raise StatementError(
            "This XML file is not a camt.053 bank statement (no ISO 20022 camt.053 Document)."
        )
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    message = root.find("BkToCstmrStmt") if local == "Document" else root
    if message is None or message.tag != "BkToCstmrStmt":
        raise StatementError("The camt.053 file has no BkToCstmrStmt (bank-to-customer statement).")
    stmts = message.findall("Stmt")
    if not stmts:
        raise StatementError("The camt.053 file holds no statement (Stmt).")

    statement = ParsedStatement(format="camt053")
    accounts: dict[str, ParsedAccount] = {}
    for number, stmt in enumerate(stmts, start=1):
        account = _read_account(stmt, number, statement.warnings)
        known = accounts.get(account.ref)
        if known is None:
            accounts[account.ref] = account
        else:
            _merge_account(known, account)
        for entry_number, entry in enumerate(stmt.findall("Ntry"), start=1):
            line = lines.get(id(entry), entry_number)
            statement.rows.extend(_read_entry(entry, line, account, statement.warnings))
    statement.accounts = list(accounts.values())
    return statement


def _parse_xml(data: bytes) -> tuple[Element, dict[int, int]]:
    """The root element and the line of each element; defused, and without an encoding
    declaration a file that is not UTF-8 is read as cp1252 (XML's default is UTF-8)."""
    if not data.lstrip().startswith(b"<?xml"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("cp1252", errors="replace").encode("utf-8")
    try:
        root, lines = parse_with_lines(data)
    except DefusedXmlException as error:
        raise StatementError(
            "The file declares a DTD or XML entities, which bank statements never do; "
            "it was refused for safety."
        ) from error
    except ParseError as error:
        line = error.position[0] if error.position else "?"
        raise StatementError(
            f"The file is not well-formed XML (line {line}): it may be truncated or damaged. "
            "Download the statement again."
        ) from error
    return root, lines


# --- values ---------------------------------------------------------------------------------


def _text(element: Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return " ".join((found.text or "").split()) if found is not None else ""


def _date(element: Element | None) -> date | None:
    """A DateAndDateTimeChoice (``<Dt>`` or ``<DtTm>``) -> the date as written."""
    if element is None:
        return None
    raw = _text(element, "Dt") or _text(element, "DtTm")
    if not raw:
        return None
    match = _ISO_DATE.match(raw)
    if not match:
        raise ValueError(raw)
    return date(*(int(part) for part in match.groups()))


def _amount(element: Element | None) -> tuple[Decimal | None, str | None]:
    """An ``<Amt Ccy="EUR">12.34</Amt>`` -> (Decimal or None, currency or None)."""
    if element is None:
        return None, None
    currency = (element.get("Ccy") or "").strip().upper() or None
    raw = (element.text or "").strip()
    if not re.fullmatch(r"\d+(\.\d+)?", raw):
        raise ValueError(raw)
    try:
        return Decimal(raw), currency
    except InvalidOperation as error:
        raise ValueError(raw) from error


def _sign(indicator: str) -> int:
    return -1 if indicator.strip().upper() == "DBIT" else 1


# --- statements -----------------------------------------------------------------------------


def _read_account(stmt: Element, number: int, warnings: list[str]) -> ParsedAccount:
    ref = _text(stmt, "Acct/Id/IBAN") or _text(stmt, "Acct/Id/Othr/Id")
    if not ref:
        raise StatementError(
            f"Statement {number} in the camt.053 file names no account (Acct/Id), "
            "so it cannot be imported."
        )
    account = ParsedAccount(ref=ref, currency=_text(stmt, "Acct/Ccy").upper() or None)
    balances: dict[str, tuple[Decimal, str | None, date | None]] = {}
    for balance in stmt.findall("Bal"):
        code = _text(balance, "Tp/CdOrPrtry/Cd") or _text(balance, "Tp/CdOrPrtry/Prtry")
        try:
            amount, currency = _amount(balance.find("Amt"))
            when = _date(balance.find("Dt"))
        except ValueError as error:
            warnings.append(f"Account {ref}: unreadable {code} balance {error.args[0]!r}.")
            continue
        if amount is not None and code not in balances:
            balances[code] = (amount * _sign(_text(balance, "CdtDbtInd")), currency, when)
    opening = balances.get("OPBD") or balances.get("PRCD")
    closing = balances.get("CLBD")
    if opening:
        account.opening_balance = opening[0]
    if closing:
        account.closing_balance, account.closing_date = closing[0], closing[2]
    if account.currency is None:
        account.currency = next((value[1] for value in balances.values() if value[1]), None)
    if account.currency is None:
        entry_amount = stmt.find("Ntry/Amt")
        if entry_amount is not None:
            account.currency = (entry_amount.get("Ccy") or "").upper() or None
    return account


def _merge_account(known: ParsedAccount, later: ParsedAccount) -> None:
    """Two Stmt of one account (pages, or consecutive days): keep the first opening balance
    and the latest closing balance."""
    if known.opening_balance is None:
        known.opening_balance = later.opening_balance
    if later.closing_balance is not None and (
        known.closing_date is None
        or (later.closing_date is not None and later.closing_date >= known.closing_date)
    ):
        known.closing_balance, known.closing_date = later.closing_balance, later.closing_date


# --- entries --------------------------------------------------------------------------------


def _read_entry(
    entry: Element, line: int, account: ParsedAccount, warnings: list[str]
) -> list[ParsedRow]:
    errors: list[str] = []
    indicator = _text(entry, "CdtDbtInd").upper()
    if indicator not in ("CRDT", "DBIT"):
        errors.append(f"no credit/debit indicator (CdtDbtInd {indicator!r})")
    try:
        amount, currency = _amount(entry.find("Amt"))
        if amount is None:
            errors.append("no amount (Amt)")
    except ValueError as error:
        amount, currency = None, None
        errors.append(f"unreadable amount {error.args[0]!r}")
    sign = _sign(indicator)
    known_sign = indicator in ("CRDT", "DBIT")
    try:
        posted = _date(entry.find("BookgDt")) or _date(entry.find("ValDt"))
        if posted is None:
            errors.append("no booking date (BookgDt or ValDt)")
    except ValueError as error:
        posted = None
        errors.append(f"unreadable date {error.args[0]!r}")
    status = (_text(entry, "Sts/Cd") or _text(entry, "Sts")).upper()
    reversal = _text(entry, "RvslInd").lower() in ("true", "1")
    currency = currency or account.currency

    details = entry.findall("NtryDtls/TxDtls")
    parts = _split_batch(entry, details, amount, currency, sign, warnings, line)
    rows = []
    for index, (detail, part_amount, part_sign) in enumerate(parts):
        row_errors = list(errors)
        txn_date = posted
        if detail is not None:
            try:
                accepted = _date_time(_text(detail, "RltdDts/AccptncDtTm"))
            except ValueError as error:
                accepted = None
                warnings.append(f"Line {line}: unreadable AccptncDtTm {error.args[0]!r} ignored.")
            txn_date = accepted or posted
        rows.append(
            ParsedRow(
                line=line,
                txn_date=txn_date if posted is not None else None,
                amount=None if part_amount is None or not known_sign else part_amount * part_sign,
                description=_description(entry, detail),
                merchant=_counterparty(detail, part_sign),
                currency=currency,
                external_id=_external_id(entry, detail, index if len(parts) > 1 else None),
                posted_date=posted,
                account_ref=account.ref,
                pending=status in NOT_BOOKED,
                error="; ".join(row_errors),
                notes="Reversal" if reversal else "",
            )
        )
    return rows


def _split_batch(
    entry: Element,
    details: list[Element],
    amount: Decimal | None,
    currency: str | None,
    sign: int,
    warnings: list[str],
    line: int,
) -> list[tuple[Element | None, Decimal | None, int]]:
    """[(TxDtls or None, unsigned amount, sign)] -- one part per TxDtls where they add up."""
    if len(details) <= 1:
        return [(details[0] if details else None, amount, sign)]
    parts = []
    for detail in details:
        element = detail.find("Amt")
        if element is None:
            element = detail.find("AmtDtls/TxAmt/Amt")
        try:
            part_amount, part_currency = _amount(element)
        except ValueError:
            part_amount, part_currency = None, None
        if part_amount is None or (part_currency or currency) != currency:
            warnings.append(
                f"Line {line}: a transaction of a batch states no amount in {currency}; "
                "the entry is imported as one row."
            )
            return [(None, amount, sign)]
        indicator = _text(detail, "CdtDbtInd")
        parts.append((detail, part_amount, _sign(indicator) if indicator else sign))
    total = sum(part_amount * part_sign for _, part_amount, part_sign in parts)
    if amount is not None and total != amount * sign:
        warnings.append(
            f"Line {line}: the {len(details)} transactions of a batch add up to {total}, "
            f"not to the entry's {amount * sign}; the entry is imported as one row."
        )
        return [(None, amount, sign)]
    return parts


def _date_time(raw: str) -> date | None:
    if not raw:
        return None
    match = _ISO_DATE.match(raw)
    if not match:
        raise ValueError(raw)
    return date(*(int(part) for part in match.groups()))


def _description(entry: Element, detail: Element | None) -> str:
    remittance = ""
    if detail is not None:
        remittance = " ".join(
            text
            for node in detail.findall("RmtInf/Ustrd")
            if (text := " ".join((node.text or "").split()))
        ) or _text(detail, "RmtInf/Strd/CdtrRefInf/Ref")
    parts = [part for part in (remittance, _text(entry, "AddtlNtryInf")) if part]
    if len(parts) == 2 and parts[0].casefold() in parts[1].casefold():
        parts = parts[1:]
    text = " / ".join(dict.fromkeys(parts))
    if not text and detail is not None:
        text = _text(detail, "AddtlTxInf")
    return text


def _party_name(detail: Element, role: str) -> str:
    return (
        _text(detail, f"RltdPties/{role}/Nm")
        or _text(detail, f"RltdPties/{role}/Pty/Nm")
        or _text(detail, f"RltdPties/Ultmt{role}/Nm")
        or _text(detail, f"RltdPties/Ultmt{role}/Pty/Nm")
    )


def _counterparty(detail: Element | None, sign: int) -> str:
    if detail is None:
        return ""
    first, second = ("Cdtr", "Dbtr") if sign < 0 else ("Dbtr", "Cdtr")
    return _party_name(detail, first) or _party_name(detail, second)


def _external_id(entry: Element, detail: Element | None, part: int | None) -> str:
    if detail is not None and (ref := _text(detail, "Refs/AcctSvcrRef")):
        return ref
    if ref := _text(entry, "AcctSvcrRef"):
        return ref if part is None else f"{ref}/{part + 1}"
    if detail is None:
        return ""
    for path in ("Refs/UETR", "Refs/TxId", "Refs/EndToEndId", "Refs/InstrId"):
        ref = _text(detail, path)
        if ref and ref.upper() != "NOTPROVIDED":
            return ref
    return ""

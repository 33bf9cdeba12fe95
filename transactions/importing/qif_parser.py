"""QIF (Quicken Interchange Format) statements: !Type:Bank, Cash, CCard, and !Account blocks.

Written here because the Python QIF readers on PyPI (qifparse and its forks) are unmaintained,
parse dates with one fixed order, and fail on the blank lines and CRLF that real exports have.
QIF is a line format (one letter, then the value; ``^`` ends a record), so reading it is short.

What a customer gets
--------------------
- D is the date. Slash and dash dates (``8/12/13``, ``02/08/2015``, ``1/2'05``) are read
  day-first or month-first as decided over the whole file: a first part above 12 means
  day-first, a second part above 12 means month-first. If no date decides it, the file is
  read month-first (Quicken's own order) and ``date_order_ambiguous`` is set; the mapping
  ``{"day_first": true}`` or ``{"day_first": false}`` settles it, as for CSV. Dotted dates
  (``03.11.25``) are always day-first. A two-digit year is 2000-2069 or 1970-1999; the
  apostrophe form (``1/2'05``) is always 2000+.
- T is the amount (U where T is missing), signed, thousands commas allowed; a decimal comma is
  read where there is no dot (``-5,00``).
- P is the merchant; the description is P and M (memo) joined with " / "; N (number) goes to
  notes; L (category) to ``category``. Split lines (S, E, $) do not become rows: the amount
  is T; they are listed in notes ("Split: Groceries 12.00").
- !Account blocks (N name, T type) start a new account; its name is the ParsedAccount ref
  and the rows' account_ref. Without !Account the file is one account with ref "".
- Records end with ``^``; blank lines are ignored; a last record without ``^`` still counts.
  A file with no transaction at all (only a header, or only category lists) is refused.
- Lists that are not transactions (!Type:Cat, Class, Memorized, ...) are skipped; investment
  transactions (!Type:Invst) are skipped with a warning.
- Encoding: UTF-8 (with or without BOM), else cp1252.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from .base import ParsedAccount, ParsedRow, ParsedStatement, StatementError

TRANSACTION_TYPES = frozenset({"bank", "cash", "ccard", "oth a", "oth l"})
_SLASH_DATE = re.compile(r"^\s*(\d{1,4})\s*[/-]\s*(\d{1,2})\s*(['/-])\s*(\d{1,4})\s*$")
_DOT_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})\s*$")


@dataclass
class _Record:
    line: int
    account: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def first(self, code: str) -> str:
        return next((value for key, value in self.fields if key == code), "")


def parse_qif(data: bytes, *, mapping: dict | None = None) -> ParsedStatement:
    text = _decode(data)
    statement = ParsedStatement(format="qif")
    records, accounts = _read_records(text, statement.warnings)
    if not records:
        raise StatementError(
            "The QIF file holds no bank, cash or card transactions (!Type:Bank, Cash, CCard)."
        )
    if not any(line.strip().startswith("!") for line in text.splitlines()[:50]):
        statement.warnings.append(
            "The QIF file has no !Type header; it was read as a bank account."
        )

    day_first = (mapping or {}).get("day_first")
    if day_first is not None and not isinstance(day_first, bool):
        raise StatementError("The mapping's day_first must be true or false.")
    if day_first is None:
        day_first, ambiguous = _decide_order([record.first("D") for record in records])
        statement.date_order_ambiguous = ambiguous
    statement.mapping = {"day_first": bool(day_first)}
    statement.accounts = list(accounts.values())
    statement.rows = [_read_row(record, bool(day_first)) for record in records]
    return statement


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_records(text: str, warnings: list[str]) -> tuple[list[_Record], dict[str, ParsedAccount]]:
    records: list[_Record] = []
    accounts: dict[str, ParsedAccount] = {}
    account_ref = ""
    section = "bank"  # a file without !Type is read as a bank account
    current: _Record | None = None
    skipped: dict[str, int] = {}

    def finish() -> None:
        nonlocal current, account_ref
        if current is not None and current.fields:
            if section == "account":
                fields = dict(current.fields)
                account_ref = fields.get("N", "").strip()
                _add_account(accounts, account_ref, fields)
            elif section in TRANSACTION_TYPES:
                records.append(current)
            else:
                skipped[section] = skipped.get(section, 0) + 1
        current = None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("!"):
            finish()
            header = line[1:].strip().lower()
            if header.startswith("type:"):
                section = header[5:].strip()
            elif header == "account":
                section = "account"
            elif header.startswith(("option", "clear")):
                continue
            else:
                section = header
            continue
        if line.startswith("^"):
            finish()
            continue
        if current is None:
            current = _Record(line=number, account=account_ref)
        current.fields.append((line[0].upper(), line[1:].strip()))
    finish()
    for kind, count in skipped.items():
        if kind == "invst":
            warnings.append(f"{count} investment transactions (!Type:Invst) were not imported.")
    if not accounts:
        accounts[""] = ParsedAccount(ref="")
    elif any(record.account == "" for record in records):
        accounts.setdefault("", ParsedAccount(ref=""))
    return records, accounts


def _add_account(accounts: dict[str, ParsedAccount], ref: str, fields: dict[str, str]) -> None:
    if not ref:
        raise StatementError("The QIF file has an !Account block without a name (N line).")
    account = accounts.setdefault(ref, ParsedAccount(ref=ref))
    balance = fields.get("$")
    if balance:
        try:
            account.closing_balance = parse_qif_amount(balance)
        except ValueError:
            pass


# --- dates ----------------------------------------------------------------------------------


def _date_parts(raw: str) -> tuple[int, int, int, str] | None:
    """(first, second, year, style) of a date; style "dot", "ymd" or "slash"; None if none."""
    match = _DOT_DATE.match(raw)
    if match:
        day, month, year = match.groups()
        return int(day), int(month), _full_year(year, apostrophe=False), "dot"
    match = _SLASH_DATE.match(raw)
    if not match:
        return None
    first, second, separator, year = match.groups()
    if len(first) == 4:  # 2015-03-24, 2015/3/24
        return int(second), int(year), int(first), "ymd"
    return int(first), int(second), _full_year(year, apostrophe=separator == "'"), "slash"


def _full_year(year: str, *, apostrophe: bool) -> int:
    value = int(year)
    if len(year) >= 3:
        return value
    if apostrophe:
        return 2000 + value
    return 2000 + value if value < 70 else 1900 + value


def _decide_order(raw_dates: list[str]) -> tuple[bool, bool]:
    """(day_first, ambiguous) from every slash date in the file."""
    day_first_votes = month_first_votes = 0
    for raw in raw_dates:
        parts = _date_parts(raw)
        if parts is None or parts[3] != "slash":
            continue
        first, second = parts[0], parts[1]
        if first > 12 >= second:
            day_first_votes += 1
        elif second > 12 >= first:
            month_first_votes += 1
    if day_first_votes or month_first_votes:
        return day_first_votes > month_first_votes, False
    styles = [parts[3] for raw in raw_dates if (parts := _date_parts(raw))]
    if "slash" not in styles:
        return "dot" in styles, False
    undecided = any(
        (parts := _date_parts(raw)) and parts[3] == "slash" and parts[0] != parts[1]
        for raw in raw_dates
    )
    return False, undecided


def parse_qif_date(raw: str, *, day_first: bool) -> date:
    parts = _date_parts(raw)
    if parts is None:
        raise ValueError(raw)
    first, second, year, style = parts
    if style == "dot":
        day, month = first, second
    elif style == "ymd":
        month, day = first, second
    else:
        day, month = (first, second) if day_first else (second, first)
    return date(year, month, day)


# --- amounts and rows -----------------------------------------------------------------------


def parse_qif_amount(raw: str) -> Decimal:
    value = raw.strip().replace(" ", "").replace("$", "")
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif "," in value:
        if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", value):
            value = value.replace(",", "")
        else:
            value = value.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", value):
        raise ValueError(raw)
    try:
        return Decimal(value)
    except InvalidOperation as error:
        raise ValueError(raw) from error


def _read_row(record: _Record, day_first: bool) -> ParsedRow:
    errors: list[str] = []
    raw_date = record.first("D")
    txn_date = None
    if not raw_date:
        errors.append("no date (D line)")
    else:
        try:
            txn_date = parse_qif_date(raw_date, day_first=day_first)
        except ValueError:
            errors.append(f"unreadable date {raw_date!r}")
    raw_amount = record.first("T") or record.first("U")
    amount = None
    if not raw_amount:
        errors.append("no amount (T line)")
    else:
        try:
            amount = parse_qif_amount(raw_amount)
        except ValueError:
            errors.append(f"unreadable amount {raw_amount!r}")
    payee = " ".join(record.first("P").split())
    memo = " ".join(record.first("M").split())
    description = (
        payee
        if memo.casefold() in payee.casefold()
        else " / ".join(part for part in (payee, memo) if part)
    )
    notes = []
    if number := record.first("N"):
        notes.append(f"No. {number}")
    notes.extend(_splits(record))
    return ParsedRow(
        line=record.line,
        txn_date=txn_date,
        amount=amount,
        description=description,
        merchant=payee,
        account_ref=record.account,
        error="; ".join(errors),
        notes="; ".join(notes),
        category=record.first("L").strip("[]") if record.first("L") else "",
    )


def _splits(record: _Record) -> list[str]:
    splits: list[str] = []
    category = memo = None
    for key, value in record.fields:
        if key == "S":
            category, memo = value, None
        elif key == "E":
            memo = value
        elif key == "$" and category is not None:
            label = " ".join(part for part in (category, memo) if part)
            splits.append(f"Split: {label} {value}".strip())
            category = memo = None
    return splits

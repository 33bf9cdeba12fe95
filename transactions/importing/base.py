"""The one interface every statement parser has.

A parser turns the bytes of a file into a ParsedStatement: normalised rows plus what the
file says about its accounts. It never touches the database. A problem with the file as a
whole (unreadable, wrong type, truncated) raises StatementError and nothing is imported; a
problem with one row (a date or amount that cannot be read) is kept on that row as
``error`` so the import can list it with its line number and import the rest.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any


class StatementError(Exception):
    """The file as a whole cannot be imported; the message is for the customer."""


@dataclass(frozen=True)
class ParsedRow:
    # Where the row is in the file (1-based line, or record number where lines mean nothing,
    # e.g. one-line OFX), so a customer can find it.
    line: int
    txn_date: date | None
    amount: Decimal | None
    description: str = ""
    merchant: str = ""
    # The currency the file gives for this row; None where it gives none (the account's).
    currency: str | None = None
    # The bank's own id for the row (OFX FITID, CAMT AcctSvcrRef, a CSV reference column).
    external_id: str = ""
    posted_date: date | None = None
    balance: Decimal | None = None
    # The file's account number/IBAN this row belongs to; "" in a one-account file.
    account_ref: str = ""
    # A row the bank has not booked yet (Revolut PENDING, CAMT Sts PDNG): skipped on import.
    pending: bool = False
    # Why this row cannot be imported ("unreadable date '31.02.2025'"); "" when it can.
    error: str = ""
    # What else the file says about the row and has no field of its own (QIF split lines, a
    # cheque number, a reversal marker); for Transaction.notes.
    notes: str = ""
    # The category the file itself gives (QIF "L", a vendor CATEGORY tag); "" when none.
    category: str = ""

    @property
    def is_valid(self) -> bool:
        return not self.error and self.txn_date is not None and self.amount is not None


@dataclass
class ParsedAccount:
    """An account the file holds, with the balances it states."""

    ref: str = ""
    currency: str | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    closing_date: date | None = None


@dataclass
class ParsedStatement:
    format: str  # "csv", "ofx", "qfx", "qif", "camt053"
    rows: list[ParsedRow] = field(default_factory=list)
    accounts: list[ParsedAccount] = field(default_factory=list)
    # CSV and QIF: the mapping used (detected, or the one passed in), as a JSON-able dict.
    mapping: dict[str, Any] | None = None
    # CSV and QIF: the day/month order could not be told from the whole date column.
    date_order_ambiguous: bool = False
    warnings: list[str] = field(default_factory=list)

"""OFX and QFX statements: OFX 1.x (SGML) and OFX 2.x (XML), bank and credit-card accounts.

Why a tolerant reader of our own and not ofxtools
-------------------------------------------------
ofxtools 1.1.1 was tried on every OFX/QFX file in ``../shared/bank_fixtures``. It read 6 of
13 and rejected 7 that a bank customer would expect to import: blank lines before
``OFXHEADER`` or no header at all (ofxparse empty-tags, date_missing), a BANKID longer than
the spec's 9 characters (ledger-autosync), four BANKTRANLISTs in one STMTRS (OCA), a missing
``</BANKTRANLIST>`` (Nubank) -- plus, correctly, the truncated and the commented-out files.
Its strictness is right for a library that round-trips OFX; it is wrong for an importer of
what banks really send. It also turns every date into UTC, so a transaction at 22:00 in
``[-5:EST]`` lands on the next day, where the customer's statement shows the bank's own date.
ofxtools where it works plus a fallback would have meant two readers with two sets of
results, and the fallback has to read every file anyway. So this module reads OFX itself and
keeps only what it needs, and SmartBank does not depend on ofxtools (GPL-3.0) at all.

How it reads
------------
One tokenizer for both generations: comments are dropped, CDATA is kept verbatim, a tag with
text after it (or a known leaf such as NAME, or one closed at once) is a leaf, any other tag
opens an aggregate, and a closing tag closes everything opened since its opening tag (so the
unclosed leaves of SGML and a forgotten ``</BANKTRANLIST>`` are fine). A few aggregates that
cannot nest (STMTTRN in STMTTRN, LEDGERBAL in BANKTRANLIST) close their open predecessor.
No DTD is read and no entity is resolved except the HTML ones in text: a file that declares
a DOCTYPE or ENTITY is refused, so there is no XXE and no billion laughs.

What a customer gets
--------------------
- txn_date is DTUSER where given, else DTPOSTED; posted_date is DTPOSTED. Dates are the
  digits as written (the bank's local date); the time and the time-zone suffix are ignored.
- amount is TRNAMT, signed as in the file; a decimal comma is read (``-200,00``).
- external_id is FITID; merchant is PAYEE/NAME or NAME; description is NAME and MEMO, joined
  with " / " unless one already contains the other. HTML entities are decoded, twice where a
  bank escaped them twice (``&amp;lt;`` -> ``<``). Where neither is given: TRNTYPE and CHECKNUM.
- currency is the statement's CURDEF, or the transaction's own CURRENCY/CURSYM (per the OFX
  spec the amount is then in that currency). An empty CURDEF gives None and a warning.
- Every STMTRS/CCSTMTRS is a ParsedAccount (ref ACCTID, LEDGERBAL as closing balance and
  date); its rows carry account_ref = ACCTID. A statement without an account is an error.
- Encoding: the header's (CHARSET/ENCODING, or the XML declaration), but files lie: bytes
  that are valid UTF-8 are read as UTF-8, anything else as the declared single-byte charset,
  else cp1252, with a warning when the declaration was wrong.
- A row whose date or amount is missing or unreadable keeps its place with ``error`` set.
  A file without ``</OFX>`` is truncated and refused as a whole.
- Corrections (CORRECTFITID + CORRECTACTION). REPLACE: the row replaces the row with that
  FITID; if that row is in this file it is dropped (with a warning), otherwise this row is
  imported under its own FITID and a warning says which earlier transaction it corrects
  (re-sending the same FITID shows up as a duplicate). DELETE: the row is not a transaction
  but an instruction; if the target is in this file both go (with a warning), otherwise the
  row is kept with an error naming the transaction the bank cancelled, so the customer sees
  it in the list of rejected rows and can delete it by hand.
"""

import html
import re
from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from .base import ParsedAccount, ParsedRow, ParsedStatement, StatementError

# Tags that are always leaves, even empty and unclosed in SGML (``<NAME>`` then ``<MEMO>``).
KNOWN_LEAVES = frozenset(
    """
    ACCTID ACCTKEY ACCTTYPE BALAMT BANKID BRANCHID CATEGORY CHECKNUM CODE CORRECTACTION
    CORRECTFITID CURDEF CURRATE CURSYM DTACCTUP DTASOF DTAVAIL DTEND DTPOSTED DTPROFUP
    DTSERVER DTSTART DTUSER FID FITID LANGUAGE MEMO MESSAGE NAME ORG PAYEEID REFNUM SEVERITY
    SIC SRVRTID TRNAMT TRNTYPE TRNUID VALUEDATE ACCTBAL
    """.split()
)
# Opening the key closes an open tag of these kinds first: they cannot contain each other.
AUTO_CLOSE = {
    "STMTTRN": ("STMTTRN",),
    "BANKTRANLIST": ("BANKTRANLIST",),
    "LEDGERBAL": ("STMTTRN", "BANKTRANLIST"),
    "AVAILBAL": ("STMTTRN", "BANKTRANLIST", "LEDGERBAL"),
    "BALLIST": ("STMTTRN", "BANKTRANLIST"),
    "MKTGINFO": ("STMTTRN", "BANKTRANLIST"),
    "STMTRS": ("STMTRS",),
    "CCSTMTRS": ("CCSTMTRS",),
}
STATEMENT_TAGS = ("STMTRS", "CCSTMTRS")
ACCOUNT_TAGS = ("BANKACCTFROM", "CCACCTFROM")

_TOKEN = re.compile(
    r"<!\[CDATA\[(?P<cdata>.*?)\]\]>"
    r"|<(?P<close>/?)(?P<tag>[A-Za-z][A-Za-z0-9_.:-]*)\s*>"
    r"|(?P<text>[^<]+|<)",
    re.DOTALL,
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_OFX_START = re.compile(rb"<OFX\s*>", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", re.I)
_SGML_HEADER_LINE = re.compile(rb"^\s*([A-Z]+)\s*:\s*(.*?)\s*$", re.MULTILINE)
_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})")
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


@dataclass
class _Node:
    tag: str
    value: str | None = None  # None for an aggregate
    offset: int = 0  # where the opening tag starts in the text
    children: list["_Node"] = field(default_factory=list)

    def child(self, tag: str) -> "_Node | None":
        for node in self.children:
            if node.tag == tag:
                return node
        return None

    def text(self, tag: str) -> str | None:
        """The value of the first direct child leaf ``tag``; None when there is none."""
        node = self.child(tag)
        return None if node is None else (node.value or "")

    def find(self, tag: str, *, skip: tuple[str, ...] = ()) -> "_Node | None":
        """The first descendant ``tag`` (depth first), not looking inside ``skip`` tags."""
        for node in self.children:
            if node.tag == tag:
                return node
            if node.value is None and node.tag not in skip:
                found = node.find(tag, skip=skip)
                if found is not None:
                    return found
        return None

    def find_all(self, tag: str) -> list["_Node"]:
        found = []
        for node in self.children:
            if node.tag == tag:
                found.append(node)
            elif node.value is None:
                found.extend(node.find_all(tag))
        return found


def parse_ofx(data: bytes, *, format: str | None = None) -> ParsedStatement:
    """Reads an OFX/QFX file. ``format`` is "ofx" or "qfx"; None decides from INTU tags."""
    warnings: list[str] = []
    text = _decode(data, warnings)
    start = re.search(r"<OFX\s*>", text, re.IGNORECASE)
    if start is None:
        raise StatementError("This is not an OFX file: it has no <OFX> element.")
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        raise StatementError(
            "The file declares a DTD or XML entities, which bank statements never do; "
            "it was refused for safety."
        )
    body = text[start.start() :]
    if "<!--" in _COMMENT.sub("", body):
        raise StatementError("The OFX file has a comment that is never closed; it looks damaged.")
    root, closed = _tokenize(body)
    ofx = root.child("OFX")
    if ofx is None or not closed:
        raise StatementError(
            "The OFX file ends before its closing </OFX> tag: it looks truncated. "
            "Download the statement again."
        )
    if format is None:
        format = "qfx" if re.search(r"<INTU\.", body, re.IGNORECASE) else "ofx"

    statements = [node for tag in STATEMENT_TAGS for node in ofx.find_all(tag)]
    statements.sort(key=lambda node: node.offset)
    if not statements:
        if ofx.find("INVSTMTRS") is not None:
            raise StatementError(
                "This OFX file holds an investment statement; only bank and credit-card "
                "statements can be imported."
            )
        message = ofx.find("MESSAGE")
        detail = f' The bank says: "{_clean(message.value)}".' if message and message.value else ""
        raise StatementError(
            "The OFX file holds no bank or credit-card statement (STMTRS/CCSTMTRS)." + detail
        )

    line_of = _line_locator(text, start.start())
    statement = ParsedStatement(format=format, warnings=warnings)
    accounts: dict[str, ParsedAccount] = {}
    transactions: list[tuple[_Node, ParsedAccount]] = []
    for number, node in enumerate(statements, start=1):
        account = _read_account(node, number, warnings)
        known = accounts.get(account.ref)
        if known is None:
            accounts[account.ref] = account
        elif account.closing_date and (
            known.closing_date is None or account.closing_date >= known.closing_date
        ):
            known.closing_balance, known.closing_date = (
                account.closing_balance,
                account.closing_date,
            )
        transactions.extend((trn, account) for trn in node.find_all("STMTTRN"))

    # The line of each STMTTRN, or its number where several share a line (one-line files).
    lines = [line_of(trn.offset) for trn, _ in transactions]
    if len(set(lines)) < len(lines):
        lines = list(range(1, len(lines) + 1))
    rows = [
        _read_row(trn, account, line, warnings)
        for (trn, account), line in zip(transactions, lines, strict=True)
    ]
    statement.rows = _apply_corrections(rows, [trn for trn, _ in transactions], warnings)
    _warn_repeated_ids(statement.rows, warnings)
    statement.accounts = list(accounts.values())
    return statement


# --- decoding -------------------------------------------------------------------------------


def _decode(data: bytes, warnings: list[str]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    declared = _declared_encoding(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared and declared not in ("utf-8", "ascii"):
        try:
            return data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
    said = f"says {declared.upper()}" if declared else "does not say its encoding"
    warnings.append(f"The file {said} but is not; it was read as Windows-1252 (cp1252).")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _declared_encoding(data: bytes) -> str | None:
    """The encoding the header names, as a Python codec name; None when it names none."""
    head = data[:2048]
    match = _XML_ENCODING.search(head)
    if match:
        name = match.group(1).decode("ascii").lower()
        return "ascii" if name in ("us-ascii", "usascii", "ascii") else name
    ofx_at = _OFX_START.search(head)
    fields = {
        key.decode("ascii").upper(): value.decode("latin-1").strip().upper()
        for key, value in _SGML_HEADER_LINE.findall(head[: ofx_at.start() if ofx_at else None])
    }
    encoding, charset = fields.get("ENCODING", ""), fields.get("CHARSET", "")
    if encoding in ("UTF-8", "UTF8", "UNICODE"):
        return "utf-8"
    if charset in ("1252", "WINDOWS-1252", "CP1252"):
        return "cp1252"
    if charset in ("ISO-8859-1", "8859-1", "LATIN-1", "LATIN1"):
        return "latin-1"
    if encoding == "USASCII":
        return "ascii"
    return None


# --- tokenizer ------------------------------------------------------------------------------


def _tokenize(body: str) -> tuple[_Node, bool]:
    """Builds the tree of ``body``; also says whether the OFX element was closed."""
    body = _COMMENT.sub(lambda m: " " * len(m.group(0)), body)
    # (tag or None, closing?, text, is CDATA, offset) for each token
    tokens = [
        (
            tag.upper() if tag else None,
            bool(close),
            cdata if cdata is not None else text,
            cdata is not None,
            match.start(),
        )
        for match in _TOKEN.finditer(body)
        for cdata, close, tag, text in [match.group("cdata", "close", "tag", "text")]
    ]
    root = _Node("#root")
    stack = [root]
    names = ["#root"]  # the tags of ``stack``

    def close_to(tag: str) -> bool:
        if tag not in names:
            return False
        where = len(names) - 1 - names[::-1].index(tag)
        del stack[where:], names[where:]
        return True

    ofx_closed = False
    count = len(tokens)
    index = 0
    while index < count:
        tag, closing, _, _, offset = tokens[index]
        index += 1
        if tag is None:
            continue  # text outside any leaf: whitespace between aggregates
        if closing:
            if close_to(tag) and tag == "OFX":
                ofx_closed = True
            continue
        # The text up to the next tag (CDATA sections kept as written).
        pieces: list[str] = []
        while index < count and tokens[index][0] is None:
            _, _, text, is_cdata, _ = tokens[index]
            pieces.append(text if is_cdata else _unescape(text))
            index += 1
        value = "".join(pieces).strip()
        closes_at_once = index < count and tokens[index][1] and tokens[index][0] == tag
        if value or tag in KNOWN_LEAVES or closes_at_once:
            stack[-1].children.append(_Node(tag, value=value, offset=offset))
            if closes_at_once:
                index += 1
            continue
        for inner in AUTO_CLOSE.get(tag, ()):
            close_to(inner)
        node = _Node(tag, offset=offset)
        stack[-1].children.append(node)
        stack.append(node)
        names.append(tag)
    return root, ofx_closed


def _unescape(value: str) -> str:
    """HTML entities decoded, also where a bank escaped them twice (``&amp;lt;``)."""
    if "&" not in value:
        return value
    for _ in range(3):
        if not _ENTITY.search(value):
            break
        value = html.unescape(value)
    return value


def _line_locator(text: str, base: int):
    newlines = [match.start() for match in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        return bisect_right(newlines, base + offset - 1) + 1

    return line_of


# --- values ---------------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    return " ".join((value or "").split())


def parse_ofx_date(value: str | None) -> date | None:
    """``YYYYMMDD[HHMMSS[.XXX]][[gmt offset[:tz name]]]`` -> the date as written.

    Raises ValueError for a value that is there but is not a date.
    """
    if value is None or not value.strip():
        return None
    match = _DATE.match(value)
    if not match:
        raise ValueError(value)
    year, month, day = (int(part) for part in match.groups())
    return date(year, month, day)


def parse_ofx_amount(value: str | None) -> Decimal | None:
    """A signed OFX amount; "-200,00" (decimal comma) and "1.234,56" are read too."""
    if value is None or not value.strip():
        return None
    raw = value.strip().replace(" ", "")
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif "," in raw:
        raw = raw.replace(",", ".")
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", raw):
        raise ValueError(value)
    try:
        return Decimal(raw)
    except InvalidOperation as error:
        raise ValueError(value) from error


def join_text(*parts: str) -> str:
    """Non-empty parts joined with " / ", leaving out a part another part already contains."""
    kept: list[str] = []
    for part in parts:
        part = _clean(part)
        if not part:
            continue
        if any(part.casefold() in other.casefold() for other in kept):
            continue
        kept = [other for other in kept if other.casefold() not in part.casefold()]
        kept.append(part)
    return " / ".join(kept)


# --- statements and rows --------------------------------------------------------------------


def _read_account(node: _Node, number: int, warnings: list[str]) -> ParsedAccount:
    skip = ("STMTTRN",)
    account_node = next(
        (found for tag in ACCOUNT_TAGS if (found := node.find(tag, skip=skip)) is not None),
        None,
    )
    ref = _clean(account_node.text("ACCTID")) if account_node is not None else ""
    if not ref:
        raise StatementError(
            f"Statement {number} in the OFX file names no account (BANKACCTFROM or "
            "CCACCTFROM with ACCTID), so it cannot be imported."
        )
    curdef_node = node.find("CURDEF", skip=skip)
    currency = _clean(curdef_node.value).upper() if curdef_node is not None else ""
    if not currency:
        warnings.append(
            f"Statement for account {ref} gives no currency (CURDEF is empty); "
            "the account's own currency is assumed."
        )
    account = ParsedAccount(ref=ref, currency=currency or None)
    ledger = node.find("LEDGERBAL", skip=skip)
    if ledger is not None:
        try:
            account.closing_balance = parse_ofx_amount(ledger.text("BALAMT"))
        except ValueError:
            warnings.append(f"Account {ref}: unreadable closing balance {ledger.text('BALAMT')!r}.")
        try:
            account.closing_date = parse_ofx_date(ledger.text("DTASOF"))
        except ValueError:
            warnings.append(f"Account {ref}: unreadable balance date {ledger.text('DTASOF')!r}.")
    return account


def _read_row(trn: _Node, account: ParsedAccount, line: int, warnings: list[str]) -> ParsedRow:
    errors: list[str] = []
    posted_raw = trn.text("DTPOSTED")
    posted = None
    if posted_raw is None:
        errors.append("no posted date (DTPOSTED)")
    elif not posted_raw.strip():
        errors.append("empty posted date (DTPOSTED)")
    else:
        try:
            posted = parse_ofx_date(posted_raw)
        except ValueError:
            errors.append(f"unreadable date {posted_raw!r}")
    user_raw = trn.text("DTUSER")
    txn_date = posted
    try:
        txn_date = parse_ofx_date(user_raw) or posted
    except ValueError:
        if posted is not None:
            warnings.append(f"Line {line}: unreadable DTUSER {user_raw!r} ignored.")

    amount_raw = trn.text("TRNAMT")
    amount = None
    if amount_raw is None or not amount_raw.strip():
        errors.append("no amount (TRNAMT)")
    else:
        try:
            amount = parse_ofx_amount(amount_raw)
        except ValueError:
            errors.append(f"unreadable amount {amount_raw!r}")

    payee = trn.child("PAYEE")
    name = _clean(payee.text("NAME") if payee is not None else None) or _clean(trn.text("NAME"))
    memo = _clean(trn.text("MEMO"))
    checknum = _clean(trn.text("CHECKNUM"))
    checknum = "" if checknum.strip("0") == "" else checknum
    description = join_text(name, memo) or _clean(f"{_clean(trn.text('TRNTYPE'))} {checknum}")
    currency_node = trn.child("CURRENCY")
    row_currency = _clean(currency_node.text("CURSYM")).upper() if currency_node else ""
    balance = None
    try:
        balance = parse_ofx_amount(trn.text("ACCTBAL"))
    except ValueError:
        pass
    return ParsedRow(
        line=line,
        txn_date=txn_date if posted is not None else None,
        amount=amount,
        description=description,
        merchant=name,
        currency=row_currency or account.currency,
        external_id=_clean(trn.text("FITID")),
        posted_date=posted,
        balance=balance,
        account_ref=account.ref,
        error="; ".join(errors),
        notes=f"Cheque {checknum}" if checknum else "",
        category=_clean(trn.text("CATEGORY")),
    )


def _apply_corrections(
    rows: list[ParsedRow], nodes: list[_Node], warnings: list[str]
) -> list[ParsedRow]:
    """CORRECTACTION REPLACE/DELETE, as the module docstring says."""
    dropped: set[int] = set()
    by_id: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(rows):
        by_id.setdefault((row.account_ref, row.external_id), []).append(index)
    for index, (row, node) in enumerate(zip(rows, nodes, strict=True)):
        action = _clean(node.text("CORRECTACTION")).upper()
        target = _clean(node.text("CORRECTFITID"))
        if not action or not target:
            continue
        earlier = [
            other
            for other in by_id.get((row.account_ref, target), ())
            if other != index and other not in dropped
        ]
        if action == "DELETE":
            if earlier:
                dropped.update(earlier)
                dropped.add(index)
                warnings.append(
                    f"The bank cancelled transaction {target} in this file; "
                    "neither it nor the cancellation is imported."
                )
            else:
                rows[index] = replace(
                    row,
                    error=f"the bank cancels transaction {target} of an earlier statement; "
                    "delete it by hand if it was imported",
                )
        elif action == "REPLACE":
            if earlier:
                dropped.update(earlier)
                warnings.append(
                    f"Line {row.line}: replaces transaction {target} given earlier in the file."
                )
            else:
                warnings.append(
                    f"Line {row.line}: the bank corrects transaction {target} of an earlier "
                    "statement; if it was imported before, check its amount and date."
                )
    return [row for index, row in enumerate(rows) if index not in dropped]


def _warn_repeated_ids(rows: list[ParsedRow], warnings: list[str]) -> None:
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if not row.external_id:
            continue
        key = (row.account_ref, row.external_id)
        if key in seen:
            warnings.append(
                f"Line {row.line}: transaction id {row.external_id} appears more than once."
            )
        seen.add(key)

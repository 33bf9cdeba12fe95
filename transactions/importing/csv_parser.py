"""CSV statements as real banks write them, with every choice shown as a mapping.

parse_csv(data, mapping) detects the encoding, line endings, delimiter, preamble, header,
footer, column roles, date format and decimal separator, and returns them in
ParsedStatement.mapping (a JSON-able dict). Passing a mapping back (whole or partial, e.g.
a saved import profile or the customer's correction) uses the keys it gives and detects
the rest. Columns are 0-based indexes; ``columns`` lists the header names for display.

Mapping keys:
  encoding, delimiter           text encoding ("utf-8", "utf-8-sig", "cp1252", ...), one char
  has_header, header_row        whether a header row exists, and its 0-based row index
  skip_rows                     rows before the header (or before the data if no header)
  footer_rows                   non-blank rows at the end that are not transactions
  date_column, date_format      the row's date; format strftime-like ("%d.%m.%Y")
  posted_date_column, posted_date_format   a second date (value/booking/completed date)
  day_first                     day before month where the column alone cannot tell
  amount_column                 one signed amount, or with indicator_column (+ debit_values,
                                credit_values) whose value gives the sign
  debit_column, credit_column   money out / money in (either sign written: out is out)
  description_columns           joined with spaces
  description_fallback_columns  used for a row whose description columns are empty
  merchant_column, payer_column the counterparty; payer is used for money coming in
  currency_column, balance_column, reference_column (the bank's id for the row),
  status_column (pending rows), account_column (the file's own account number)
  decimal_separator, thousands_separator
  columns                       header names (returned for display; ignored when passed)
"""

import codecs
import csv
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from .base import ParsedAccount, ParsedRow, ParsedStatement, StatementError
from .csv_columns import (
    DATE_MAIN,
    DATE_POSTED,
    DATE_VALUE,
    currency_in_header,
    header_role,
)
from .csv_values import (
    DateParser,
    guess_date_column,
    guess_separators,
    looks_like_amount,
    parse_amount,
)

COLUMN_KEYS = (
    "date_column",
    "posted_date_column",
    "amount_column",
    "debit_column",
    "credit_column",
    "indicator_column",
    "merchant_column",
    "payer_column",
    "currency_column",
    "balance_column",
    "reference_column",
    "status_column",
    "account_column",
)
COLUMN_LIST_KEYS = ("description_columns", "description_fallback_columns")
AMOUNT_KEYS = ("amount_column", "debit_column", "credit_column", "indicator_column")
MAPPING_KEYS = frozenset(
    COLUMN_KEYS
    + COLUMN_LIST_KEYS
    + (
        "encoding",
        "delimiter",
        "has_header",
        "header_row",
        "skip_rows",
        "footer_rows",
        "date_format",
        "posted_date_format",
        "day_first",
        "debit_values",
        "credit_values",
        "decimal_separator",
        "thousands_separator",
        "columns",
    )
)
DEFAULT_DEBIT_VALUES = ["D", "DR", "DB", "DEBIT", "DBIT", "S", "SOLL", "-", "AF"]
DEFAULT_CREDIT_VALUES = ["C", "CR", "CREDIT", "CRDT", "H", "HABEN", "+", "BIJ"]
PENDING_STATUSES = frozenset(
    {
        "pending", "pendiente", "vorgemerkt", "en attente", "in bearbeitung", "authorised",
        "authorized", "not booked", "offen", "in progress", "processing", "unposted",
        "non comptabilise", "in sospeso",
    }
)  # fmt: skip
NOT_BOOKED_STATUSES = frozenset(
    {
        "declined", "reverted", "failed", "cancelled", "canceled", "rejected", "storniert",
        "abgelehnt", "refused", "annule", "rechazado",
    }
)  # fmt: skip
_DELIMITERS = (",", ";", "\t", "|")
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive or an Excel (.xlsx) workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
)
_OTHER_FORMATS = (
    ("<", "an XML, HTML or OFX file"),
    ("OFXHEADER", "an OFX file"),
    ("!Type", "a QIF file"),
    ("!Account", "a QIF file"),
    ("!Option", "a QIF file"),
)
_IBAN_RE = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})\b")
_ACCOUNT_NUMBER_RE = re.compile(
    r"(?:account number|kontonummer|account no|numero de compte)\s*:?\s*([A-Z0-9][\w.-]{3,34})",
    re.IGNORECASE,
)
_CLOSING_RE = re.compile(
    r"balance at end|closing balance|end(?:ing)? balance|kontostand|schlusssaldo|endsaldo|"
    r"neuer saldo|solde final|solde de cl[oô]ture|saldo final|current balance",
    re.IGNORECASE,
)
_OPENING_RE = re.compile(
    r"balance at start|opening balance|start(?:ing)? balance|anfangssaldo|alter saldo|"
    r"solde initial|solde d.ouverture|saldo inicial|previous balance",
    re.IGNORECASE,
)
_DATE_IN_TEXT_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_CURRENCY_CODE_RE = re.compile(r"^[A-Z]{3}$")
_SAMPLE_ROWS = 1000


@dataclass
class _Record:
    line: int  # 1-based physical line where the record starts
    fields: list[str]

    @property
    def blank(self) -> bool:
        return not any(f.strip() for f in self.fields)


# --- entry point -----------------------------------------------------------------------


def parse_csv(data: bytes, mapping: dict | None = None) -> ParsedStatement:
    """The rows of a CSV statement; StatementError if the file as a whole cannot be read."""
    given = validate_mapping(mapping)
    text, encoding = _decode(data, given.get("encoding"))
    lines = _LINE_RE.findall(text)
    if not any(line.strip() for line in lines):
        raise StatementError("The file is empty: it holds no rows.")
    delimiter = given.get("delimiter") or _detect_delimiter(lines)
    records, warnings = _read_records(lines, delimiter)
    return _Parse(records, given, encoding, delimiter, warnings).run()


# --- whole-file checks ---------------------------------------------------------------


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    if not data:
        raise StatementError("The file is empty (0 bytes).")
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        for signature, what in _SIGNATURES:
            if data.startswith(signature):
                raise StatementError(
                    f"This file is {what}, not a CSV statement. Export the statement from "
                    "your bank as CSV (or OFX, QIF or CAMT) and upload that."
                )
        if b"\x00" in data[:65536]:
            raise StatementError("This file is not a text file, so it cannot be a CSV statement.")
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise StatementError(
                f"The file cannot be read as {encoding} text (byte {exc.start + 1} does not "
                "fit). Choose another encoding."
            ) from None
    elif data.startswith(codecs.BOM_UTF8):
        try:
            encoding, text = "utf-8-sig", data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise StatementError(
                "The file says it is UTF-8 text but byte "
                f"{exc.start + 1} is not; it may be damaged."
            ) from None
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            encoding, text = "utf-16", data.decode("utf-16")
        except UnicodeDecodeError:
            raise StatementError("The file claims to be UTF-16 text but cannot be read.") from None
    else:
        try:
            encoding, text = "utf-8", data.decode("utf-8")
        except UnicodeDecodeError:
            # Not UTF-8: Windows-1252 is Latin-1's printable range plus €, “”, – and —; the
            # five bytes it leaves undefined are control codes in Latin-1, never text.
            try:
                encoding, text = "cp1252", data.decode("cp1252")
            except UnicodeDecodeError:
                raise StatementError(
                    "The file's characters cannot be read: it is neither UTF-8 nor "
                    "Windows-1252/Latin-1 text."
                ) from None
    text = text.lstrip("\ufeff")
    controls = sum(1 for c in text[:65536] if c < " " and c not in "\t\r\n\f")
    if "\x00" in text or controls > max(2, len(text[:65536]) // 200):
        raise StatementError("This file is not a text file, so it cannot be a CSV statement.")
    head = text.lstrip()
    for start, what in _OTHER_FORMATS:
        if head.startswith(start):
            raise StatementError(f"This file looks like {what}, not a CSV statement.")
    return text, encoding


def _detect_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the most lines into the same number (>1) of fields."""
    sample = [line for line in lines[:300] if line.strip()]
    best, best_score = None, 0
    for delimiter in _DELIMITERS:
        # Line by line, so one unclosed quote cannot hide the lines after it.
        counts = Counter(len(_split_line(line, delimiter)) for line in sample)
        widths = [(n, width) for width, n in counts.items() if width > 1]
        if not widths:
            continue
        n, width = max(widths)
        score = n * (width - 1)
        if score > best_score:
            best, best_score = delimiter, score
    if best is None:
        raise StatementError(
            "This file is not a CSV statement: no line is split into columns by a comma, "
            "semicolon or tab."
        )
    return best


def _read_records(lines: list[str], delimiter: str) -> tuple[list[_Record], list[str]]:
    """The file's records; a broken quote costs no rows and shifts no columns.

    csv keeps a quote inside an unquoted field (`Firma";`) as text, which is what we want;
    an unclosed opening quote, though, swallows the lines after it into one field. Any
    multi-line record whose width differs from the file's usual width is read again line
    by line, and a line that is still too wide is split without quoting.
    """
    warnings: list[str] = []
    records: list[_Record] = []
    spans: list[tuple[int, int]] = []
    position = 0
    while position < len(lines):
        consumed = position

        def feed(start: int = position):
            nonlocal consumed
            for index in range(start, len(lines)):
                consumed = index + 1
                yield lines[index]

        reader = csv.reader(feed(), delimiter=delimiter, quotechar='"')
        start = position
        try:
            for fields in reader:
                records.append(_Record(start + 1, fields))
                spans.append((start, consumed))
                start = consumed
            position = len(lines)
        except csv.Error:
            # A field grew past csv's limit: an unclosed quote. Read that line alone.
            records.append(_Record(start + 1, _split_line(lines[start], delimiter)))
            spans.append((start, start + 1))
            position = start + 1
    widths = Counter(len(r.fields) for r, (a, b) in zip(records, spans, strict=True) if b - a == 1)
    usual = max((n, w) for w, n in widths.items())[1] if widths else 0
    repaired: list[_Record] = []
    for record, (first, end) in zip(records, spans, strict=True):
        if end - first > 1 and len(record.fields) != usual:
            warnings.append(
                f"Line {first + 1}: a quote is not closed; lines {first + 1}-{end} were read "
                "one by one."
            )
            for index in range(first, end):
                repaired.append(_Record(index + 1, _fit_line(lines[index], delimiter, usual)))
        elif len(record.fields) > usual > 0 and end - first == 1:
            fields = _fit_line(lines[first], delimiter, usual)
            repaired.append(_Record(first + 1, fields))
        else:
            repaired.append(record)
    return repaired, warnings


def _split_line(line: str, delimiter: str) -> list[str]:
    line = line.rstrip("\r\n")
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a field past csv's size limit: split without quoting
        return [f.strip().strip('"') for f in line.split(delimiter)]


def _fit_line(line: str, delimiter: str, width: int) -> list[str]:
    fields = _split_line(line, delimiter)
    if len(fields) == width or not width:
        return fields
    naive = [f.strip().strip('"') for f in line.rstrip("\r\n").split(delimiter)]
    return naive if len(naive) == width else fields


# --- mapping validation --------------------------------------------------------------


def validate_mapping(mapping: dict | None) -> dict[str, Any]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise StatementError("The mapping must be an object of settings.")
    unknown = sorted(set(mapping) - MAPPING_KEYS)
    if unknown:
        raise StatementError(
            f"Unknown mapping setting(s): {', '.join(map(str, unknown))}. "
            f"Known settings: {', '.join(sorted(MAPPING_KEYS))}."
        )

    def is_index(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    for key in COLUMN_KEYS:
        if key in mapping and mapping[key] is not None and not is_index(mapping[key]):
            raise StatementError(f"Mapping {key} must be a column number (0 is the first).")
    for key in COLUMN_LIST_KEYS:
        if key in mapping and mapping[key] is not None:
            value = mapping[key]
            if not isinstance(value, list) or not all(is_index(v) for v in value):
                raise StatementError(f"Mapping {key} must be a list of column numbers.")
    for key in ("skip_rows", "footer_rows", "header_row"):
        if key in mapping and mapping[key] is not None and not is_index(mapping[key]):
            raise StatementError(f"Mapping {key} must be a whole number, 0 or more.")
    for key in ("has_header", "day_first"):
        if key in mapping and mapping[key] is not None and not isinstance(mapping[key], bool):
            raise StatementError(f"Mapping {key} must be true or false.")
    if mapping.get("has_header") is False and mapping.get("header_row") is not None:
        raise StatementError("Mapping says there is no header row but gives header_row.")
    for key in ("date_format", "posted_date_format"):
        if mapping.get(key) is not None:
            try:
                DateParser(mapping[key])
            except ValueError as exc:
                raise StatementError(f"Mapping {key}: {exc}.") from None
    for key in ("debit_values", "credit_values"):
        value = mapping.get(key)
        if value is not None and (
            not isinstance(value, list) or not all(isinstance(v, str) for v in value)
        ):
            raise StatementError(f"Mapping {key} must be a list of texts.")
    if mapping.get("decimal_separator") not in (None, ".", ","):
        raise StatementError('Mapping decimal_separator must be "." or ",".')
    if mapping.get("thousands_separator") not in (None, "", ".", ",", "'", " "):
        raise StatementError("Mapping thousands_separator must be one of '', '.', ',', \"'\", ' '.")
    if mapping.get("thousands_separator") and mapping.get("thousands_separator") == mapping.get(
        "decimal_separator"
    ):
        raise StatementError("The thousands and decimal separators must differ.")
    delimiter = mapping.get("delimiter")
    if delimiter is not None and (
        not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n'
    ):
        raise StatementError("Mapping delimiter must be one character, such as , ; or a tab.")
    encoding = mapping.get("encoding")
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            raise StatementError(f"Unknown text encoding {encoding!r}.") from None
    if mapping.get("columns") is not None and not isinstance(mapping["columns"], list):
        raise StatementError("Mapping columns must be a list of names.")
    return dict(mapping)


# --- the parse -----------------------------------------------------------------------


class _Parse:
    def __init__(self, records, given, encoding, delimiter, warnings):
        self.records: list[_Record] = records
        self.given: dict[str, Any] = given
        self.warnings: list[str] = warnings
        self.m: dict[str, Any] = {"encoding": encoding, "delimiter": delimiter}
        self.ambiguous = False

    def run(self) -> ParsedStatement:
        self._layout()
        self._roles()
        self._formats()
        rows = self._rows()
        if not rows:
            raise StatementError("The file holds no transactions.")
        accounts = self._accounts(rows)
        return ParsedStatement(
            format="csv",
            rows=rows,
            accounts=accounts,
            mapping=self._mapping_out(),
            date_order_ambiguous=self.ambiguous,
            warnings=self.warnings,
        )

    # layout: preamble, header, data, footer

    def _is_data_row(self, fields: list[str]) -> bool:
        """A row with a date in one cell and an amount in another."""
        date_cells = [i for i, cell in enumerate(fields) if _looks_like_date(cell)]
        if not date_cells:
            return False
        return any(
            i not in date_cells and cell.strip() and looks_like_amount(cell)
            for i, cell in enumerate(fields)
        )

    def _layout(self) -> None:
        records, given = self.records, self.given
        header_row = given.get("header_row")
        if header_row is not None:
            has_header, skip = True, header_row
        else:
            has_header, skip = given.get("has_header"), given.get("skip_rows")
        if skip is not None and skip >= len(records):
            raise StatementError(
                f"The mapping skips {skip} rows, but the file has only {len(records)}."
            )
        if has_header is None or skip is None:
            first_data = next(
                (
                    i
                    for i, r in enumerate(records[:500])
                    if i >= (skip or 0) and self._is_data_row(r.fields)
                ),
                None,
            )
            if first_data is None:
                if any(self._looks_like_header(r.fields) for r in records[:50]):
                    raise StatementError(
                        "The file has column headings but no transactions under them."
                    )
                raise StatementError(
                    "No transactions found: no row of the file has both a date and an amount. "
                    "Is this a bank statement in CSV?"
                )
            header_at = self._header_before(first_data)
            if has_header is None:
                has_header = header_at is not None
            if skip is None:
                if has_header:
                    skip = header_at if header_at is not None else max(first_data - 1, 0)
                else:
                    skip = first_data
        if skip >= len(records) or (has_header and skip + 1 > len(records)):
            raise StatementError(
                f"The mapping skips {skip} rows, but the file has only {len(records)}."
            )
        self.header = records[skip].fields if has_header else None
        start = skip + 1 if has_header else skip
        end = len(records)
        footer = given.get("footer_rows")
        if footer is None:
            footer = 0
            index = end - 1
            while index >= start:
                record = records[index]
                if not record.blank and self._is_data_row(record.fields):
                    break
                if not record.blank:
                    footer += 1
                index -= 1
        # Drop `footer` non-blank records (and the blank ones among them) from the end.
        left = footer
        while end > start and (left > 0 or records[end - 1].blank):
            if not records[end - 1].blank:
                left -= 1
            end -= 1
        footer_text = [r for r in records[end:] if not r.blank]
        if footer_text:
            self.warnings.append(
                "Ignored "
                + (f"{len(footer_text)} lines" if len(footer_text) > 1 else "1 line")
                + " after the transactions: "
                + "; ".join(f"line {r.line} '{_cell_text(r.fields)}'" for r in footer_text[:3])
            )
        self.preamble = records[:skip]
        self.footer = footer_text
        self.data = [r for r in records[start:end] if not r.blank]
        if self.header is not None:
            header_key = [c.strip() for c in self.header]
            first = header_key[0] if header_key else ""

            def repeats_header(record: _Record) -> bool:
                return (
                    bool(record.fields)
                    and record.fields[0].strip() == first
                    and [c.strip() for c in record.fields] == header_key
                )

            repeats = [r for r in self.data if repeats_header(r)]
            if repeats:
                self.data = [r for r in self.data if not repeats_header(r)]
                self.warnings.append(f"Skipped {len(repeats)} repeated header row(s).")
        if not self.data:
            if self.header is not None:
                raise StatementError("The file has column headings but no transactions under them.")
            raise StatementError("The file holds no transactions.")
        widths = Counter(len(r.fields) for r in self.data)
        self.width = max(widths.most_common(1)[0][0], len(self.header or []))
        self.widest = max(max(widths), len(self.header or []))
        self.m.update(
            has_header=bool(has_header),
            header_row=skip if has_header else None,
            skip_rows=skip,
            footer_rows=footer,
        )

    def _looks_like_header(self, fields: list[str]) -> bool:
        cells = [c for c in fields if c.strip()]
        if len(cells) < 2 or any(_looks_like_date(c) or looks_like_amount(c) for c in cells):
            return False
        return sum(1 for c in cells if header_role(c)) >= 2

    def _header_before(self, first_data: int) -> int | None:
        index = first_data - 1
        while index >= 0 and self.records[index].blank:
            index -= 1
        if index < 0:
            return None
        fields = self.records[index].fields
        cells = [c for c in fields if c.strip()]
        if len(cells) < 2 or any(_looks_like_date(c) or looks_like_amount(c) for c in cells):
            return None
        data_width = len(self.records[first_data].fields)
        if len(fields) >= data_width - 1 or any(header_role(c) for c in cells):
            return index
        return None

    # column roles

    def _column(self, index: int | None, rows: list[_Record] | None = None) -> list[str]:
        if index is None:
            return []
        rows = self.sample if rows is None else rows
        return [r.fields[index] if index < len(r.fields) else "" for r in rows]

    def _roles(self) -> None:
        given = self.given
        header = self.header
        names = [c.strip() for c in header] if header else []
        self.columns = names + [f"Column {i + 1}" for i in range(len(names), self.widest)]
        for key in COLUMN_KEYS:
            if given.get(key) is not None and given[key] >= self.widest:
                raise StatementError(
                    f"Mapping {key} is column {given[key]}, but the file has only "
                    f"{self.widest} columns (0 to {self.widest - 1})."
                )
        for key in COLUMN_LIST_KEYS:
            for index in given.get(key) or []:
                if index >= self.widest:
                    raise StatementError(
                        f"Mapping {key} names column {index}, but the file has only "
                        f"{self.widest} columns (0 to {self.widest - 1})."
                    )
        if given.get("columns") and header and given["columns"] != names:
            self.warnings.append(
                "The file's column headings differ from the saved mapping's; check the mapping."
            )
        step = max(1, len(self.data) // _SAMPLE_ROWS)
        self.sample = self.data[::step][:_SAMPLE_ROWS]
        roles: dict[str, Any] = {key: None for key in COLUMN_KEYS}
        roles["description_columns"] = []
        roles["description_fallback_columns"] = []
        by_role: dict[str, list[int]] = {}
        for index, name in enumerate(names):
            role = header_role(name)
            if role:
                by_role.setdefault(role, []).append(index)
        self.header_currency = next(
            (currency_in_header(names[i]) for i in by_role.get("amount", []) if i < len(names)),
            None,
        )
        self._date_roles(roles, by_role)
        self._amount_roles(roles, by_role)
        taken = {v for k, v in roles.items() if k in COLUMN_KEYS and v is not None}
        for role in ("balance", "currency", "status", "reference", "account", "merchant", "payer"):
            for index in by_role.get(role, []):
                if index not in taken and self._column_fits(role, index):
                    roles[f"{role}_column"] = index
                    taken.add(index)
                    break
        if roles["merchant_column"] is None and roles["payer_column"] is not None:
            roles["merchant_column"], roles["payer_column"] = roles["payer_column"], None
        if roles["currency_column"] is None:
            for index in range(self.width):
                if index not in taken and self._column_fits("currency", index):
                    roles["currency_column"] = index
                    taken.add(index)
                    break
        described = [i for i in by_role.get("description", []) if i not in taken]
        fallback = [i for i in by_role.get("description_extra", []) if i not in taken]
        if len(self.data) > 1 and len(described) > 1:
            varying = [i for i in described if len(set(self._column(i))) > 1]
            if varying:
                described = varying
        if not described and not fallback:
            described = self._text_column(taken)
        roles["description_columns"] = described
        roles["description_fallback_columns"] = fallback
        self._apply_given(roles)
        self.roles = roles

    def _date_roles(self, roles: dict, by_role: dict) -> None:
        candidates = [
            i for kind in (DATE_MAIN, DATE_POSTED, DATE_VALUE) for i in by_role.get(kind, [])
        ]
        dated = [i for i in candidates if guess_date_column(self._column(i))]
        if not dated:
            dated = [
                i
                for i in range(self.width)
                if guess_date_column(self._column(i), threshold=0.8) is not None
            ][:2]
            if self.header is not None:
                dated = dated[:1]
        if dated:
            roles["date_column"] = dated[0]
        if len(dated) > 1:
            roles["posted_date_column"] = dated[1]

    def _amount_roles(self, roles: dict, by_role: dict) -> None:
        def fits(role: str) -> int | None:
            return next((i for i in by_role.get(role, []) if self._column_fits(role, i)), None)

        amount, debit, credit = fits("amount"), fits("debit"), fits("credit")
        indicator = fits("indicator")
        if amount is not None and indicator is not None:
            roles.update(amount_column=amount, indicator_column=indicator)
        elif debit is not None and credit is not None:
            roles.update(debit_column=debit, credit_column=credit)
        elif amount is not None:
            roles["amount_column"] = amount
        else:
            self._amount_roles_by_content(roles)
        if roles["amount_column"] is not None and roles["indicator_column"] is None:
            self._indicator_by_content(roles)

    def _amount_roles_by_content(self, roles: dict) -> None:
        dates = {roles["date_column"], roles["posted_date_column"]}
        candidates: list[int] = []
        for index in range(self.width):
            if index in dates:
                continue
            values = [v for v in self._column(index) if v.strip()]
            if not values or not all(looks_like_amount(v) for v in values):
                continue
            if all(re.fullmatch(r"\s*\d{8,}\s*", v) for v in values):
                continue  # account or reference numbers
            candidates.append(index)
        filled = {i: [bool(v.strip()) for v in self._column(i)] for i in candidates}
        full = [i for i in candidates if all(filled[i])]
        pair = None
        # Money out and money in: two neighbouring columns, each empty somewhere, that
        # between them give every row an amount.
        for a, b in zip(candidates, candidates[1:], strict=False):
            if (
                not all(filled[a])
                and not all(filled[b])
                and all(x or y for x, y in zip(filled[a], filled[b], strict=True))
            ):
                pair = (a, b)
                break
        if pair and not full:
            a, b = pair
            negative = [any(v.strip().startswith("-") for v in self._column(i)) for i in pair]
            if negative == [False, True]:
                a, b = b, a
            elif negative[0] == negative[1]:
                self.warnings.append(
                    f"Could not tell whether column {a + 1} or {b + 1} is money out; "
                    f"column {a + 1} was taken as money out. Check the mapping."
                )
            roles.update(debit_column=a, credit_column=b)
        elif full or candidates:
            amount = (full or candidates)[0]
            roles["amount_column"] = amount
            others = [i for i in full if i != amount]
            if others and self._is_running_balance(amount, others[0]):
                roles["balance_column"] = others[0]

    def _indicator_by_content(self, roles: dict) -> None:
        values = self._column(roles["amount_column"])
        if any(v.strip().startswith("-") or v.strip().startswith("(") for v in values):
            return
        taken = {v for k, v in roles.items() if k in COLUMN_KEYS}
        known = {v.upper() for v in DEFAULT_DEBIT_VALUES + DEFAULT_CREDIT_VALUES} - {"-", "+"}
        for index in range(self.width):
            if index in taken:
                continue
            column = {v.strip().upper() for v in self._column(index)}
            if column and column <= known and len(column) > 1:
                roles["indicator_column"] = index
                return

    def _is_running_balance(self, amount_index: int, balance_index: int) -> bool:
        decimal = guess_separators(self._column(amount_index) + self._column(balance_index)).decimal
        try:
            amounts = [parse_amount(v, decimal) for v in self._column(amount_index)]
            balances = [parse_amount(v, decimal) for v in self._column(balance_index)]
        except ValueError:
            return False
        steps = list(zip(amounts[1:], balances, balances[1:], amounts, strict=False))
        if not steps:
            return False
        fits = sum(
            1
            for next_amount, previous, current, this_amount in steps
            if None not in (previous, current, next_amount, this_amount)
            and (current - previous == next_amount or previous - current == this_amount)
        )
        return fits >= 0.8 * len(steps)

    def _column_fits(self, role: str, index: int) -> bool:
        values = [v.strip() for v in self._column(index) if v.strip()]
        if role in ("amount", "debit", "credit", "balance"):
            if not values:
                return role in ("debit", "credit", "balance")
            return sum(1 for v in values if looks_like_amount(v)) >= 0.5 * len(values)
        if role == "currency":
            return bool(values) and all(_CURRENCY_CODE_RE.match(v.upper()) for v in values)
        if role == "indicator":
            known = {v.upper() for v in DEFAULT_DEBIT_VALUES + DEFAULT_CREDIT_VALUES}
            given = self.given.get("debit_values", []) + self.given.get("credit_values", [])
            known |= {v.upper() for v in given or []}
            return bool(values) and all(v.upper() in known for v in values)
        if role == "reference":
            if not values:
                return False
            all_values = [v.strip() for v in self._column(index, self.data) if v.strip()]
            if len(set(all_values)) != len(all_values):
                self.warnings.append(
                    f"Column '{self.columns[index]}' repeats values, so it is not used as the "
                    "bank's id for each row."
                )
                return False
            return True
        return bool(values)

    def _text_column(self, taken: set[int]) -> list[int]:
        best, best_length = None, 0.0
        for index in range(self.width):
            if index in taken:
                continue
            values = [v.strip() for v in self._column(index) if v.strip()]
            if not values or all(looks_like_amount(v) or _looks_like_date(v) for v in values):
                continue
            length = sum(len(v) for v in values) / len(self.sample)
            if length > best_length:
                best, best_length = index, length
        return [best] if best is not None else []

    def _apply_given(self, roles: dict) -> None:
        given = self.given
        if any(key in given for key in AMOUNT_KEYS):
            for key in AMOUNT_KEYS:
                roles[key] = given.get(key)
        for key in COLUMN_KEYS + COLUMN_LIST_KEYS:
            if key in given and key not in AMOUNT_KEYS:
                roles[key] = (
                    given[key]
                    if given[key] is not None
                    else ([] if key in COLUMN_LIST_KEYS else None)
                )
        if roles["date_column"] is None:
            raise StatementError(
                "No column of dates was found. Choose the date column in the mapping."
            )
        if all(roles[key] is None for key in ("amount_column", "debit_column", "credit_column")):
            raise StatementError(
                "No column of amounts was found. Choose the amount column (or the money in and "
                "money out columns) in the mapping."
            )
        if roles["indicator_column"] is not None and roles["amount_column"] is None:
            raise StatementError("A debit/credit indicator column needs an amount column.")

    # formats

    def _formats(self) -> None:
        given, roles = self.given, self.roles
        date_values = self._column(roles["date_column"], self.data)
        posted_values = self._column(roles["posted_date_column"], self.data)
        guess = guess_date_column(date_values, threshold=0.0)
        posted_guess = guess_date_column(posted_values, threshold=0.0) if posted_values else None
        if guess and posted_guess and guess.kind == posted_guess.kind == "numeric":
            if guess.first_is_day is None and posted_guess.first_is_day is not None:
                guess.first_is_day = posted_guess.first_is_day
            elif posted_guess.first_is_day is None and guess.first_is_day is not None:
                posted_guess.first_is_day = guess.first_is_day
        day_first = given.get("day_first")
        if given.get("date_format"):
            date_format = given["date_format"]
        elif guess is None:
            raise StatementError(
                f"The dates in column '{self.columns[roles['date_column']]}' cannot be read. "
                "Give the date format in the mapping."
            )
        else:
            if guess.ambiguous and day_first is None:
                self.ambiguous = True
                self.warnings.append(
                    "The dates could be day/month or month/day; they were read day first. "
                    "Confirm the order."
                )
            date_format = guess.format(True if day_first is None else day_first)
        if day_first is None:
            day_first = _is_day_first(date_format)
        posted_format = given.get("posted_date_format")
        if roles["posted_date_column"] is not None and not posted_format:
            posted_format = (
                posted_guess.format(day_first) if posted_guess is not None else date_format
            )
        decimal, thousands = given.get("decimal_separator"), given.get("thousands_separator")
        if decimal is None or thousands is None:
            amount_values: list[str] = []
            for key in ("amount_column", "debit_column", "credit_column", "balance_column"):
                amount_values += self._column(roles[key], self.data[:5000])
            default = "," if self.m["delimiter"] == ";" else "."
            separators = guess_separators(amount_values, default_decimal=default)
            decimal = decimal or separators.decimal
            if thousands is None:
                thousands = separators.thousands if separators.thousands != decimal else ""
        self.m.update(
            date_format=date_format,
            posted_date_format=posted_format,
            day_first=day_first,
            decimal_separator=decimal,
            thousands_separator=thousands,
        )

    # rows

    def _rows(self) -> list[ParsedRow]:
        roles, m = self.roles, self.m
        date_parser = DateParser(m["date_format"])
        posted_parser = DateParser(m["posted_date_format"]) if m["posted_date_format"] else None
        decimal = m["decimal_separator"]
        debit_values = {
            v.strip().upper() for v in (self.given.get("debit_values") or DEFAULT_DEBIT_VALUES)
        }
        credit_values = {
            v.strip().upper() for v in (self.given.get("credit_values") or DEFAULT_CREDIT_VALUES)
        }
        self.m["debit_values"] = sorted(debit_values)
        self.m["credit_values"] = sorted(credit_values)
        date_i = roles["date_column"]
        posted_i = roles["posted_date_column"]
        amount_i, debit_i, credit_i = (
            roles["amount_column"],
            roles["debit_column"],
            roles["credit_column"],
        )
        indicator_i = roles["indicator_column"]
        balance_i, currency_i = roles["balance_column"], roles["currency_column"]
        reference_i, status_i = roles["reference_column"], roles["status_column"]
        merchant_i, payer_i, account_i = (
            roles["merchant_column"],
            roles["payer_column"],
            roles["account_column"],
        )
        described = roles["description_columns"]
        fallback = roles["description_fallback_columns"]
        typed = self._typed_checks(date_parser, posted_parser)
        accounts = set()
        if account_i is not None:
            accounts = {_clean_ref(v) for v in self._column(account_i, self.data)} - {""}
        multi_account = len(accounts) > 1
        rows: list[ParsedRow] = []
        realigned = 0
        # Each row is padded to the widest row plus one empty cell, and a column the file
        # does not have reads that last cell (index -1), so no lookup needs a test.
        width = self.widest + 1

        def at(index: int | None) -> int:
            return -1 if index is None else index

        date_i, posted_i, amount_i, debit_i, credit_i, indicator_i = map(
            at, (date_i, posted_i, amount_i, debit_i, credit_i, indicator_i)
        )
        balance_i, currency_i, reference_i, status_i = map(
            at, (balance_i, currency_i, reference_i, status_i)
        )
        merchant_i, payer_i, account_i = map(at, (merchant_i, payer_i, account_i))
        has_payer, has_status = payer_i >= 0, status_i >= 0
        for record in self.data:
            fields = record.fields
            if len(fields) < self.width:
                fields, moved = self._realign(fields, typed)
                realigned += moved
            if len(fields) < width:
                fields = fields + [""] * (width - len(fields))
            else:
                fields = fields + [""]
            errors: list[str] = []
            txn_date = _read_date(fields[date_i], date_parser, errors, required=True)
            posted_date = (
                _read_date(fields[posted_i], posted_parser, errors, required=False)
                if posted_parser
                else None
            )
            amount = self._read_amount(
                fields, amount_i, debit_i, credit_i, indicator_i, decimal, debit_values,
                credit_values, errors,
            )  # fmt: skip
            balance = None
            if balance_i >= 0:
                try:
                    balance = parse_amount(fields[balance_i], decimal)
                except ValueError:
                    balance = None
            description = " ".join(t for t in (_clean(fields[i]) for i in described) if t)
            if not description:
                description = " ".join(t for t in (_clean(fields[i]) for i in fallback) if t)
            merchant = _clean(fields[merchant_i])
            if has_payer and amount is not None and amount > 0:
                merchant = _clean(fields[payer_i]) or merchant
            currency = fields[currency_i].strip().upper() or None
            pending = False
            if has_status:
                status = " ".join(_clean(fields[status_i]).lower().split())
                if status in PENDING_STATUSES:
                    pending = True
                elif status in NOT_BOOKED_STATUSES:
                    errors.append(
                        f"the bank marks this row '{_clean(fields[status_i])}', not booked"
                    )
            rows.append(
                ParsedRow(
                    line=record.line,
                    txn_date=txn_date,
                    amount=amount,
                    description=description,
                    merchant=merchant,
                    currency=currency,
                    external_id=_clean(fields[reference_i]),
                    posted_date=posted_date,
                    balance=balance,
                    account_ref=_clean_ref(fields[account_i]) if multi_account else "",
                    pending=pending,
                    error="; ".join(errors),
                )
            )
        if realigned:
            self.warnings.append(
                f"{realigned} row(s) had fewer fields than the header; the missing field was "
                "placed where the dates and amounts still read."
            )
        self.account_refs = sorted(accounts)
        return rows

    def _read_amount(
        self,
        fields: list[str],
        amount_i: int,
        debit_i: int,
        credit_i: int,
        indicator_i: int,
        decimal: str,
        debit_values: set[str],
        credit_values: set[str],
        errors: list[str],
    ) -> Decimal | None:
        try:
            if amount_i >= 0:
                value = parse_amount(fields[amount_i], decimal)
                if value is None:
                    errors.append("no amount")
                    return None
                if indicator_i < 0:
                    return value
                flag = fields[indicator_i].strip().upper()
                if flag in debit_values:
                    return -abs(value)
                if flag in credit_values:
                    return abs(value)
                errors.append(f"unknown debit/credit mark '{fields[indicator_i].strip()}'")
                return None
            debit = parse_amount(fields[debit_i], decimal)
            credit = parse_amount(fields[credit_i], decimal)
        except ValueError as exc:
            errors.append(str(exc))
            return None
        if debit is None and credit is None:
            errors.append("no amount")
            return None
        # Money out is out whichever sign the bank wrote it with; likewise money in.
        return abs(credit or Decimal(0)) - abs(debit or Decimal(0))

    def _typed_checks(
        self, date_parser: DateParser, posted_parser: DateParser | None
    ) -> list[tuple[int, Callable]]:
        def reads_with(parser: DateParser) -> Callable[[str], bool]:
            def check(text: str) -> bool:
                try:
                    parser.parse(text)
                    return True
                except ValueError:
                    return False

            return check

        def amount_ok(text: str) -> bool:
            return bool(text.strip()) and looks_like_amount(text)

        def currency_ok(text: str) -> bool:
            return bool(_CURRENCY_CODE_RE.match(text.strip()))

        checks = [(self.roles["date_column"], reads_with(date_parser))]
        if posted_parser is not None:
            checks.append((self.roles["posted_date_column"], reads_with(posted_parser)))
        for key in ("amount_column", "debit_column", "credit_column", "balance_column"):
            if self.roles[key] is not None:
                checks.append((self.roles[key], amount_ok))
        if self.roles["currency_column"] is not None:
            checks.append((self.roles["currency_column"], currency_ok))
        return checks

    def _realign(self, fields: list[str], typed: list) -> tuple[list[str], int]:
        """A short row padded where its typed columns (dates, amounts) read best."""
        missing = self.width - len(fields)

        def score(candidate: list[str]) -> float:
            return sum(1 for i, check in typed if i < len(candidate) and check(candidate[i]))

        padded = fields + [""] * missing
        if missing > 2:
            return padded, 0
        # Types cannot always tell where the field went missing; a tie goes to a column
        # that matters least (no role, or only a fallback description).
        used = {v for k, v in self.roles.items() if k in COLUMN_KEYS and v is not None}
        used |= set(self.roles["description_columns"])
        best, best_score = padded, score(padded) + 0.5 * (len(fields) not in used)
        for position in range(len(fields)):
            candidate = fields[:position] + [""] * missing + fields[position:]
            gap_is_minor = all(i not in used for i in range(position, position + missing))
            candidate_score = score(candidate) + 0.5 * gap_is_minor
            if candidate_score > best_score:
                best, best_score = candidate, candidate_score
        return best, int(best is not padded)

    # what the file says about its account

    def _accounts(self, rows: list[ParsedRow]) -> list[ParsedAccount]:
        currencies = {r.currency for r in rows if r.currency}
        currency = next(iter(currencies)) if len(currencies) == 1 else None
        currency = currency or self.header_currency
        if len(self.account_refs) > 1:
            return [ParsedAccount(ref=ref, currency=currency) for ref in self.account_refs]
        account = ParsedAccount(
            ref=self.account_refs[0] if self.account_refs else "", currency=currency
        )
        decimal = self.m["decimal_separator"]
        for record in self.preamble + self.footer:
            cells = [c.strip() for c in record.fields if c.strip()]
            text = " ".join(cells)
            for cell in cells if not account.ref else []:
                match = _IBAN_RE.search(cell) or _ACCOUNT_NUMBER_RE.search(cell)
                if match:
                    account.ref = match.group(1).replace(" ", "")
                    break
            for pattern, attribute in ((_CLOSING_RE, "closing"), (_OPENING_RE, "opening")):
                if not pattern.search(text):
                    continue
                value = _first_amount(cells, decimal)
                if value is None:
                    continue
                setattr(account, f"{attribute}_balance", value)
                found = _DATE_IN_TEXT_RE.search(text)
                if attribute == "closing" and found:
                    day, month, year = (int(g) for g in found.groups())
                    try:
                        account.closing_date = date(year, month, day)
                    except ValueError:
                        pass
        return [account]

    def _mapping_out(self) -> dict[str, Any]:
        out = dict(self.m)
        out.update({key: self.roles[key] for key in COLUMN_KEYS + COLUMN_LIST_KEYS})
        out["columns"] = self.columns
        order = ["encoding", "delimiter", "has_header", "header_row", "skip_rows", "footer_rows"]
        return {key: out[key] for key in order} | {
            key: value for key, value in out.items() if key not in order
        }


# --- small helpers -------------------------------------------------------------------

_DATE_SHAPE_RE = re.compile(
    r"^\s*(?:\d{1,4}[./-]\d{1,4}[./-]\d{1,4}|(?:19|20)\d{6}|\d{1,2}[\s./-]*[^\W\d_]{3,}\.?"
    r"[\s./,-]+\d{2,4}|[^\W\d_]{3,}\.?\s+\d{1,2},?\s+\d{4})(?:[ T,].*)?$"
)


def _looks_like_date(text: str) -> bool:
    return bool(text) and bool(_DATE_SHAPE_RE.match(text)) and len(text) < 40


def _is_day_first(date_format: str) -> bool:
    day, month = date_format.find("%d"), date_format.find("%m")
    return month < 0 or day < month


def _read_date(text: str, parser: DateParser, errors: list[str], *, required: bool) -> date | None:
    if not text.strip():
        if required:
            errors.append("no date")
        return None
    try:
        return parser.parse(text)
    except ValueError as exc:
        if required:
            errors.append(str(exc))
        return None


def _clean(text: str) -> str:
    if not text:
        return ""
    text = text.strip()
    if '"' in text and text.count('"') % 2:
        text = text.strip('"').strip()  # the leftover of a broken quote
    if "  " in text or "\t" in text or "\n" in text or "\r" in text:
        text = " ".join(text.split())
    return text


def _clean_ref(text: str) -> str:
    return _clean(text).strip("'") if text else ""


def _cell_text(fields: list[str]) -> str:
    text = " ".join(c.strip() for c in fields if c.strip())
    return text if len(text) <= 60 else text[:57] + "..."


def _first_amount(cells: list[str], decimal: str) -> Decimal | None:
    for cell in reversed(cells):
        if looks_like_amount(cell):
            try:
                return parse_amount(cell, decimal)
            except ValueError:
                continue
    return None

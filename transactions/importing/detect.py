"""Which format a statement file is in, and the one entry point that parses any of them.

``parse_statement`` looks at the content first and uses the file name's extension only as a
hint (a ``.qfx`` is reported as QFX, a header-less ``.qif`` is still read as QIF); an explicit
``format`` wins over both. Files that are no statement at all (empty, an image, a PDF, an
archive or spreadsheet, other binary data, a web page) and files larger than
``settings.IMPORT_MAX_FILE_BYTES`` raise StatementError with a message for the customer.
"""

import re

from django.conf import settings

from .base import ParsedStatement, StatementError

FORMATS = ("csv", "ofx", "qfx", "qif", "camt053")
FORMAT_ALIASES = {"camt": "camt053", "camt.053": "camt053", "xml": "camt053", "tsv": "csv"}
EXTENSIONS = {
    "ofx": "ofx",
    "qfx": "qfx",
    "qif": "qif",
    "csv": "csv",
    "tsv": "csv",
    "ssv": "csv",
    "txt": None,
    "xml": "camt053",
    "053": "camt053",
}
# (leading bytes, what the file is) for files that are plainly not a statement.
SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel .xlsx workbook)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) or Word document"),
    (b"{\\rtf", "an RTF document"),
)
EXPORT_HINT = "Export the statement from your bank as CSV, OFX/QFX, QIF or camt.053 XML."
_CAMT = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.(\d{3})")


def detect_format(data: bytes, *, filename: str = "") -> str:
    """One of FORMATS for ``data``; StatementError where it is none of them."""
    data = _utf16_to_utf8(data)
    _refuse_non_statements(data)
    head = _head(data)
    extension = _extension(filename)
    stripped = head.lstrip()
    upper = head.upper()

    if stripped.startswith(b"OFXHEADER") or b"<?OFX" in upper or re.search(rb"<OFX\s*>", upper):
        if extension == "qfx":
            return "qfx"
        if extension == "ofx":
            return "ofx"
        return "qfx" if b"<INTU." in upper else "ofx"
    camt = _CAMT.search(head)
    if camt:
        return "camt053"  # the CAMT parser names other camt messages in its error
    if re.match(rb"!(TYPE|ACCOUNT|OPTION|CLEAR)\b", stripped.upper()):
        return "qif"
    if stripped.startswith(b"<"):
        lowered = stripped[:500].lower()
        if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered:
            raise StatementError(f"This file is a web page, not a bank statement. {EXPORT_HINT}")
        if extension == "camt053" or lowered.startswith(b"<?xml") or b"<document" in lowered:
            return "camt053"  # an XML file: the CAMT parser says what is wrong with it
    if extension in ("ofx", "qfx"):
        raise StatementError(
            f"The file is named .{extension} but is not an OFX file (there is no OFX header "
            "or <OFX> element)."
        )
    if extension == "qif" and re.match(rb"[DT]", stripped):
        return "qif"
    return "csv"


def parse_statement(
    data: bytes,
    *,
    filename: str = "",
    format: str | None = None,
    mapping: dict | None = None,
) -> ParsedStatement:
    """Parses a statement file of any supported format into a ParsedStatement."""
    limit = settings.IMPORT_MAX_FILE_BYTES
    if len(data) > limit:
        raise StatementError(
            f"The file is {_size(len(data))}; files up to {_size(limit)} can be imported. "
            "Export a shorter period."
        )
    data = _utf16_to_utf8(data)
    if format:
        chosen = FORMAT_ALIASES.get(format.strip().lower(), format.strip().lower())
        if chosen not in FORMATS:
            raise StatementError(f"Unknown format {format!r}; choose one of {', '.join(FORMATS)}.")
        _refuse_non_statements(data)
    else:
        chosen = detect_format(data, filename=filename)

    if chosen in ("ofx", "qfx"):
        from .ofx_parser import parse_ofx

        return parse_ofx(data, format=chosen)
    if chosen == "qif":
        from .qif_parser import parse_qif

        return parse_qif(data, mapping=mapping)
    if chosen == "camt053":
        from .camt_parser import parse_camt053

        return parse_camt053(data)
    from .csv_parser import parse_csv

    return parse_csv(data, mapping)


def _utf16_to_utf8(data: bytes) -> bytes:
    """A UTF-16 file (with its byte-order mark, as Excel writes "Unicode text") as UTF-8."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError as error:
        raise StatementError(
            "The file says it is UTF-16 but cannot be read as such; export it again."
        ) from error
    text = re.sub(
        r"^(\s*<\?xml[^>]*encoding\s*=\s*[\"'])[Uu][Tt][Ff]-?16([A-Za-z]*)([\"'])",
        r"\1UTF-8\3",
        text,
    )
    return text.encode("utf-8")


def _refuse_non_statements(data: bytes) -> None:
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf"):
        raise StatementError(f"The file is empty. {EXPORT_HINT}")
    for signature, what in SIGNATURES:
        if data.startswith(signature):
            raise StatementError(f"This file is {what}, not a bank statement. {EXPORT_HINT}")
    sample = data[:8192]
    control = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    if b"\x00" in sample or control > len(sample) // 100:
        raise StatementError(f"This file is binary data, not a bank statement. {EXPORT_HINT}")


def _head(data: bytes) -> bytes:
    head = data[:4096]
    return head[3:] if head.startswith(b"\xef\xbb\xbf") else head


def _extension(filename: str) -> str | None:
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1].lower()
    if "." not in name:
        return None
    return EXTENSIONS.get(name.rsplit(".", 1)[1])


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    return f"{count / 1024:.0f} KB"

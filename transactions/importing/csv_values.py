"""Reading one CSV cell as a date or an amount, and telling a column's format from all of it.

Dates: a format is a small strftime-like string ("%d.%m.%Y", "%Y-%m-%d %H:%M:%S",
"%d/%Y/%m", "%d %b %Y"); a trailing time is always allowed and ignored, because a row has a
date, not a moment. Amounts: Decimal only, never float; a thousands separator must group
by three, so "12.50" in a decimal-comma file is an error rather than 1250.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

# --- dates -----------------------------------------------------------------------------

_TIME = (
    r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT))?"
)
_NUMERIC_DATE_RE = re.compile(
    r"^\s*(\d{1,4})([./-])(\d{1,4})\2(\d{1,4})(?:(?:[ T]|,\s*)(" + _TIME + r"))?\s*$"
)
_COMPACT_DATE_RE = re.compile(r"^\s*((?:19|20)\d{2})(\d{2})(\d{2})(?:T?(\d{6}))?\s*$")
_DAY_MONTH_NAME_RE = re.compile(
    r"^\s*(\d{1,2})(\.?[\s./-]*)([^\W\d_]{3,}\.?)([\s./,-]+)(\d{4}|\d{2})(?:[ T]("
    + _TIME
    + r"))?\s*$"
)
_MONTH_NAME_DAY_RE = re.compile(
    r"^\s*([^\W\d_]{3,}\.?)(\s+)(\d{1,2})(,?\s+)(\d{4})(?:[ T](" + _TIME + r"))?\s*$"
)

_MONTH_NAMES = {
    # English
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11,
    "november": 11, "dec": 12, "december": 12,
    # German
    "januar": 1, "jaenner": 1, "februar": 2, "maerz": 3, "marz": 3, "mrz": 3, "mai": 5,
    "juni": 6, "juli": 7, "okt": 10, "oktober": 10, "dez": 12, "dezember": 12,
    # French
    "janv": 1, "janvier": 1, "fev": 2, "fevr": 2, "fevrier": 2, "mars": 3, "avr": 4,
    "avril": 4, "juin": 6, "juil": 7, "juillet": 7, "aout": 8, "septembre": 9,
    "octobre": 10, "novembre": 11, "decembre": 12,
    # Spanish / Italian
    "ene": 1, "enero": 1, "febrero": 2, "marzo": 3, "abr": 4, "abril": 4, "mayo": 5,
    "junio": 6, "julio": 7, "ago": 8, "agosto": 8, "set": 9, "septiembre": 9,
    "octubre": 10, "noviembre": 11, "dic": 12, "diciembre": 12, "gen": 1, "mag": 5,
    "giu": 6, "lug": 7, "ott": 10,
}  # fmt: skip


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def month_from_name(name: str) -> int | None:
    key = _strip_accents(name.strip().rstrip(".").lower()).replace("ä", "ae")
    return _MONTH_NAMES.get(key)


def _full_year(year: int, digits: int) -> int:
    # The same pivot as strptime's %y: 69-99 are 1900s, 00-68 are 2000s.
    if digits == 2:
        return year + (1900 if year >= 69 else 2000)
    return year


_DIRECTIVES = {
    "d": ("day", r"(\d{1,2})"),
    "m": ("month", r"(\d{1,2})"),
    "Y": ("year4", r"(\d{4})"),
    "y": ("year2", r"(\d{2})"),
    "b": ("month_name", r"([^\W\d_]{3,}\.?)"),
    "B": ("month_name", r"([^\W\d_]{3,}\.?)"),
    "H": (None, r"\d{1,2}"),
    "I": (None, r"\d{1,2}"),
    "M": (None, r"\d{2}"),
    "S": (None, r"\d{2}(?:[.,]\d+)?"),
    "f": (None, r"\d+"),
    "p": (None, r"[AaPp]\.?[Mm]\.?"),
    "z": (None, r"(?:Z|[+-]\d{2}:?\d{2})"),
}


class DateParser:
    """Parses dates in one strftime-like format; a trailing time is allowed and ignored."""

    def __init__(self, fmt: str):
        if not isinstance(fmt, str) or not fmt.strip():
            raise ValueError("the date format is empty")
        parts: list[str] = []
        fields: list[str] = []
        i = 0
        while i < len(fmt):
            char = fmt[i]
            if char == "%":
                if i + 1 >= len(fmt):
                    raise ValueError(f"date format {fmt!r} ends with a lone %")
                code = fmt[i + 1]
                if code == "%":
                    parts.append("%")
                elif code in _DIRECTIVES:
                    role, pattern = _DIRECTIVES[code]
                    parts.append(pattern)
                    if role:
                        fields.append(role)
                else:
                    raise ValueError(f"date format {fmt!r}: %{code} is not supported")
                i += 2
                continue
            parts.append(r"\s+" if char == " " else re.escape(char))
            i += 1
        have = set(fields)
        if not ({"day"} <= have and have & {"month", "month_name"} and have & {"year4", "year2"}):
            raise ValueError(f"date format {fmt!r} needs a day, a month and a year")
        if len(fields) != len(have):
            raise ValueError(f"date format {fmt!r} names a part twice")
        self.fmt = fmt
        self.fields = fields
        self.regex = re.compile(r"^\s*" + "".join(parts) + r"(?:(?:[ T]|,\s*)" + _TIME + r")?\s*$")
        # Statements repeat their dates many times; a file has only a few hundred distinct.
        self._cache: dict[str, date] = {}

    def parse(self, text: str) -> date:
        """The date, or ValueError with a reason a customer can read."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        value = self._parse(text)
        if len(self._cache) < 100_000:
            self._cache[text] = value
        return value

    def _parse(self, text: str) -> date:
        match = self.regex.match(text)
        if not match:
            raise ValueError(f"unreadable date '{text.strip()}' (expected {self.fmt})")
        day = month = year = 0
        for role, value in zip(self.fields, match.groups(), strict=True):
            if role == "day":
                day = int(value)
            elif role == "month":
                month = int(value)
            elif role == "month_name":
                month = month_from_name(value) or 0
            elif role == "year4":
                year = int(value)
            else:
                year = _full_year(int(value), 2)
        try:
            return date(year, month, day)
        except ValueError:
            raise ValueError(f"impossible date '{text.strip()}' (read as {self.fmt})") from None


@dataclass
class DateGuess:
    """What a column of dates looks like; format() gives the strftime-like string."""

    kind: str  # "numeric", "compact", "day_month_name", "month_name_day"
    separator: str = ""
    year_position: int = 2  # 0, 1 or 2 among the three numeric parts
    year_digits: int = 4
    # Among the two non-year positions (in reading order): how many values show each to be
    # the day (a number above 12).
    first_over_12: int = 0
    second_over_12: int = 0
    has_time: bool = False
    matched: int = 0
    total: int = 0
    seps: tuple[str, str] = ("", "")
    # None: the order cannot be told; True: the first non-year part is the day.
    first_is_day: bool | None = None

    def format(self, day_first: bool) -> str:
        time = " %H:%M:%S" if self.has_time else ""
        if self.kind == "compact":
            return "%Y%m%d"
        if self.kind == "day_month_name":
            return f"%d{self.seps[0]}%b{self.seps[1]}%{'Y' if self.year_digits == 4 else 'y'}"
        if self.kind == "month_name_day":
            return f"%b{self.seps[0]}%d{self.seps[1]}%Y"
        first_is_day = self.first_is_day if self.first_is_day is not None else day_first
        others = ["%d", "%m"] if first_is_day else ["%m", "%d"]
        year = "%Y" if self.year_digits == 4 else "%y"
        parts = others[:]
        parts.insert(self.year_position, year)
        return self.separator.join(parts) + time

    @property
    def ambiguous(self) -> bool:
        return self.kind == "numeric" and self.first_is_day is None


def guess_date_column(values: list[str], *, threshold: float = 0.5) -> DateGuess | None:
    """How the non-empty values of a column are written as dates, or None if they are not.

    The day/month order is decided over the whole column: a part above 12 is the day; with
    no such part, "." with the year last is day-first (nobody writes 12.31.2024), a year
    first is year-month-day; otherwise the column is tried for a sorted order under each
    reading, and failing that it is ambiguous.
    """
    present = [v for v in values if v and v.strip()]
    if not present:
        return None
    numeric: Counter = Counter()
    shape_of: dict[str, tuple[str, tuple[int, int, int], tuple[int, int, int], bool]] = {}
    others: Counter = Counter()
    for value, count in Counter(present).items():
        match = _NUMERIC_DATE_RE.match(value)
        if match:
            a, sep, b, c, time = match.groups()
            lens = (len(a), len(b), len(c))
            numeric[sep] += count
            shape_of[value] = (sep, (int(a), int(b), int(c)), lens, bool(time))
            continue
        if _COMPACT_DATE_RE.match(value):
            others["compact"] += count
            continue
        match = _DAY_MONTH_NAME_RE.match(value)
        if match and month_from_name(match.group(3)):
            others["day_month_name"] += count
            continue
        match = _MONTH_NAME_DAY_RE.match(value)
        if match and month_from_name(match.group(1)):
            others["month_name_day"] += count
    best_numeric = numeric.most_common(1)[0] if numeric else ("", 0)
    best_other = others.most_common(1)[0] if others else ("", 0)
    if max(best_numeric[1], best_other[1]) < max(1, threshold * len(present)):
        return None
    if best_other[1] > best_numeric[1]:
        return _guess_named(best_other[0], present, best_other[1])
    sep = best_numeric[0]
    # Distinct values decide the shape; the sequence (for sorting) is built only if needed.
    chosen = [s for s in shape_of.values() if s[0] == sep]
    guess = DateGuess(kind="numeric", separator=sep, matched=best_numeric[1], total=len(present))
    # The year is where four digits are (or a number above 31 with two-digit years).
    four = [sum(1 for s in chosen if s[2][i] == 4) for i in range(3)]
    if max(four) * 2 > len(chosen):
        guess.year_position = four.index(max(four))
        guess.year_digits = 4
    else:
        guess.year_digits = 2
        guess.year_position = 0 if any(s[1][0] > 31 for s in chosen) else 2
    positions = [i for i in range(3) if i != guess.year_position]
    if any(s[2][positions[0]] > 2 or s[2][positions[1]] > 2 for s in chosen):
        return None  # a three-digit day or month is not a date
    guess.has_time = any(s[3] for s in chosen)
    guess.first_over_12 = sum(1 for s in chosen if s[1][positions[0]] > 12)
    guess.second_over_12 = sum(1 for s in chosen if s[1][positions[1]] > 12)
    if guess.first_over_12 and guess.second_over_12:
        # Both orders are contradicted somewhere: follow the larger evidence; the other rows
        # will be listed as unreadable.
        guess.first_is_day = guess.first_over_12 >= guess.second_over_12
    elif guess.first_over_12:
        guess.first_is_day = True
    elif guess.second_over_12:
        guess.first_is_day = False
    elif guess.year_position == 0:
        guess.first_is_day = False  # year-month-day
    elif sep == "." and guess.year_position == 2:
        guess.first_is_day = True
    else:
        sequence = [shape_of[v] for v in present if v in shape_of and shape_of[v][0] == sep]
        guess.first_is_day = _order_from_sorting(sequence, guess.year_position, guess.year_digits)
    return guess


def _order_from_sorting(shapes, year_position: int, year_digits: int) -> bool | None:
    """Day-first (True) or month-first (False) if only one reading is in date order."""
    positions = [i for i in range(3) if i != year_position]
    readings: dict[bool, list[date]] = {True: [], False: []}
    for _sep, numbers, _lens, _time in shapes:
        year = _full_year(numbers[year_position], year_digits)
        x, y = numbers[positions[0]], numbers[positions[1]]
        for first_is_day, (day, month) in ((True, (x, y)), (False, (y, x))):
            try:
                readings[first_is_day].append(date(year, month, day))
            except ValueError:
                return None
    if len(set(readings[True])) < 3:
        return None

    def monotonic(dates: list[date]) -> bool:
        pairs = list(zip(dates, dates[1:], strict=False))
        return all(a <= b for a, b in pairs) or all(a >= b for a, b in pairs)

    day_first_sorted = monotonic(readings[True])
    month_first_sorted = monotonic(readings[False])
    if day_first_sorted != month_first_sorted:
        return day_first_sorted
    return None


def _guess_named(kind: str, present: list[str], matched: int) -> DateGuess:
    guess = DateGuess(kind=kind, matched=matched, total=len(present), first_is_day=True)
    for value in present:
        if kind == "day_month_name":
            match = _DAY_MONTH_NAME_RE.match(value)
            if match and month_from_name(match.group(3)):
                guess.seps = (match.group(2), match.group(4))
                guess.year_digits = len(match.group(5))
                guess.has_time = bool(match.group(6))
                break
        elif kind == "month_name_day":
            match = _MONTH_NAME_DAY_RE.match(value)
            if match and month_from_name(match.group(1)):
                guess.seps = (match.group(2), match.group(4))
                break
        else:
            break
    return guess


# --- amounts ---------------------------------------------------------------------------

_PLAIN_AMOUNT_RE = re.compile(r"^-?\d+(?:\.\d+)?$")
_PLAIN_COMMA_AMOUNT_RE = re.compile(r"^-?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
_CURRENCY_NOISE_RE = re.compile(
    r"[$€£¥₹₽₺₩₪₫₴₦₱฿]|\b(?:EUR|USD|GBP|CHF|CAD|AUD|NZD|JPY|SEK|NOK|DKK|PLN|CZK|HUF|BRL|MXN|"
    r"ZAR|INR|CNY|HKD|SGD|RON|BGN|TRY|ILS)\b|\bS?Fr\.",
    re.IGNORECASE,
)
_SPACE_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009'’`")
_AMOUNT_BODY = {
    ".": re.compile(r"^(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?$"),
    ",": re.compile(r"^(?:\d+|\d{1,3}(?:\.\d{3})+)?(?:,\d+)?$"),
}
_AMOUNT_SHAPE_RE = re.compile(r"^[-+]?\d[\d.,]*$|^[-+]?[.,]\d+$")


def _strip_amount(text: str) -> tuple[str, int]:
    """The number part of a cell with its sign taken off, and the sign (1 or -1)."""
    s = text.strip()
    sign = 1
    if s.startswith("(") and s.endswith(")"):
        sign, s = -1, s[1:-1].strip()
    s = _CURRENCY_NOISE_RE.sub("", s).replace("\u2212", "-").strip()
    upper = s.upper()
    if upper.endswith(("CR", "DR")) and len(s) > 2:
        if upper.endswith("DR"):
            sign = -sign
        s = s[:-2].strip()
    if s.endswith("-"):
        sign, s = -sign, s[:-1].strip()
    elif s.endswith("+"):
        s = s[:-1].strip()
    if s.startswith("-"):
        sign, s = -sign, s[1:].strip()
    elif s.startswith("+"):
        s = s[1:].strip()
    return s.translate(_SPACE_GROUPING), sign


def parse_amount(text: str, decimal_separator: str = ".") -> Decimal | None:
    """The amount in a cell, None for an empty cell, ValueError if it cannot be read."""
    if decimal_separator == ",":
        if _PLAIN_COMMA_AMOUNT_RE.match(text):
            return Decimal(text.replace(".", "").replace(",", "."))
    elif _PLAIN_AMOUNT_RE.match(text):
        return Decimal(text)
    if not text or not text.strip():
        return None
    body, sign = _strip_amount(text)
    if (
        not body
        or not _AMOUNT_BODY[decimal_separator].match(body)
        or not any(c.isdigit() for c in body)
    ):
        raise ValueError(f"unreadable amount '{text.strip()}'")
    thousands = "," if decimal_separator == "." else "."
    body = body.replace(thousands, "").replace(decimal_separator, ".")
    try:
        value = Decimal(body)
    except InvalidOperation:
        raise ValueError(f"unreadable amount '{text.strip()}'") from None
    return -value if sign < 0 else value


def looks_like_amount(text: str) -> bool:
    """True if the cell reads as an amount with either decimal separator."""
    body, _sign = _strip_amount(text)
    if not body or not _AMOUNT_SHAPE_RE.match(body):
        return False
    return bool(_AMOUNT_BODY["."].match(body) or _AMOUNT_BODY[","].match(body))


@dataclass
class SeparatorGuess:
    decimal: str  # "." or ","
    thousands: str  # "", ".", ",", "'", " "
    evidence: bool  # False when nothing in the values told the decimal separator


def guess_separators(values: list[str], *, default_decimal: str = ".") -> SeparatorGuess:
    """Decimal and thousands separators over all the amount cells of a file."""
    dot = comma = 0
    thousands: Counter = Counter()
    for value in values:
        if not value:
            continue
        raw = value.strip()
        if any(c in raw for c in "'’"):
            thousands["'"] += 1
        elif any(c in raw for c in " \u00a0\u202f") and re.search(r"\d[ \u00a0\u202f]\d", raw):
            thousands[" "] += 1
        body, _sign = _strip_amount(raw)
        has_dot, has_comma = "." in body, "," in body
        if has_dot and has_comma:
            if body.rfind(".") > body.rfind(","):
                dot += 1
                thousands[","] += 1
            else:
                comma += 1
                thousands["."] += 1
        elif has_dot or has_comma:
            mark = "." if has_dot else ","
            if body.count(mark) > 1:
                # Several of one mark: it groups thousands, the other is the decimal.
                if mark == ".":
                    comma += 1
                else:
                    dot += 1
                thousands[mark] += 1
            elif len(body) - body.rfind(mark) - 1 != 3:
                if mark == ".":
                    dot += 1
                else:
                    comma += 1
    if dot or comma:
        decimal = "." if dot >= comma else ","
        evidence = True
    else:
        decimal, evidence = default_decimal, False
    group = ""
    for mark, _count in thousands.most_common():
        if mark != decimal:
            group = mark
            break
    return SeparatorGuess(decimal=decimal, thousands=group, evidence=evidence)

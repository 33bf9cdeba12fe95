"""The conversion service: which rate is in force on a day, cross rates via the euro, the
in-memory RateBook, and the ECB file parsing and storing behind them."""

import datetime
import decimal
import io
import random
import zipfile
from decimal import Decimal

import pytest

from accounts.currency import (
    EcbFileError,
    MissingRateError,
    RateBook,
    convert,
    ecb_text_from_bytes,
    parse_ecb_csv,
    rate,
    rates_import,
)
from accounts.models import ExchangeRate
from accounts.tests.factories import ExchangeRateFactory

pytestmark = pytest.mark.django_db

THU = datetime.date(2024, 5, 2)
FRI = datetime.date(2024, 5, 3)
SAT = datetime.date(2024, 5, 4)
SUN = datetime.date(2024, 5, 5)
MON = datetime.date(2024, 5, 6)
TUE = datetime.date(2024, 5, 7)

# 28 significant digits, as the service computes: independent of the test's own context.
WIDE = decimal.Context(prec=28)

# The ECB publishes EUR -> quote on working days; no JPY on Monday (N/A in the file).
ECB_ROWS = {
    FRI: {"USD": "1.0760", "GBP": "0.8570", "JPY": "164.50"},
    MON: {"USD": "1.0765", "GBP": "0.8580"},
    TUE: {"USD": "1.0750", "GBP": "0.8590", "JPY": "165.80"},
}


def store(base, quote, day, value, source=ExchangeRate.Source.ECB):
    return ExchangeRate.objects.create(
        base=base, quote=quote, day=day, rate=Decimal(value), source=source
    )


def manual(base, quote, day, value):
    return store(base, quote, day, value, source=ExchangeRate.Source.MANUAL)


@pytest.fixture
def ecb_rates(db):
    for day, quotes in ECB_ROWS.items():
        for quote, value in quotes.items():
            store("EUR", quote, day, value)


def divide(numerator: str | Decimal, denominator: str | Decimal) -> Decimal:
    return WIDE.divide(Decimal(numerator), Decimal(denominator))


class TestRate:
    def test_same_currency_is_one_without_a_query(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert rate("JPY", "JPY", FRI) == 1
            assert convert(Decimal("12.345"), "JPY", "JPY", FRI) == Decimal("12.34")

    def test_the_rate_of_the_day(self, ecb_rates):
        assert rate("EUR", "USD", FRI) == Decimal("1.0760")
        assert rate("EUR", "USD", MON) == Decimal("1.0765")

    @pytest.mark.parametrize("day", [SAT, SUN])
    def test_a_weekend_uses_the_latest_rate_before_it(self, ecb_rates, day):
        assert rate("EUR", "USD", day) == Decimal("1.0760")

    def test_a_currency_missing_on_a_day_uses_its_latest_rate_before(self, ecb_rates):
        assert rate("EUR", "JPY", MON) == Decimal("164.50")

    def test_never_a_later_rate(self, ecb_rates):
        with pytest.raises(MissingRateError) as exc:
            rate("EUR", "USD", THU)
        assert str(exc.value) == "No exchange rate for EUR->USD on or before 2024-05-02."

    def test_the_inverse_of_the_reverse_pair(self, ecb_rates):
        assert rate("USD", "EUR", FRI) == divide(1, "1.0760")
        assert convert(Decimal("107.60"), "USD", "EUR", FRI) == Decimal("100.00")

    def test_other_pairs_cross_via_the_euro(self, ecb_rates):
        # 1 USD = (EUR -> GBP) / (EUR -> USD) GBP.
        assert rate("USD", "GBP", FRI) == divide("0.8570", "1.0760")
        assert rate("GBP", "USD", MON) == divide("1.0765", "0.8580")
        # 100 * 0.857 / 1.076 = 79.6468...
        assert convert(Decimal("100"), "USD", "GBP", FRI) == Decimal("79.65")

    def test_each_leg_of_a_cross_is_the_latest_on_or_before_the_day(self, ecb_rates):
        # No JPY on Monday: Friday's JPY with Monday's USD.
        assert rate("USD", "JPY", MON) == divide("164.50", "1.0765")

    def test_a_manual_rate_for_the_pair_wins_over_the_cross_that_day(self, ecb_rates):
        manual("USD", "GBP", MON, "0.8000")
        assert rate("USD", "GBP", MON) == Decimal("0.8000")
        assert rate("GBP", "USD", MON) == divide(1, "0.8000")
        # Tuesday's ECB rates are newer than the manual rate: the cross is used again.
        assert rate("USD", "GBP", TUE) == divide("0.8590", "1.0750")

    def test_a_manual_reverse_pair_is_inverted(self, ecb_rates):
        manual("GBP", "USD", MON, "1.2500")
        assert rate("USD", "GBP", MON) == Decimal("0.8")

    def test_on_one_day_the_pair_itself_beats_its_reverse(self, ecb_rates):
        manual("USD", "GBP", MON, "0.8000")
        manual("GBP", "USD", MON, "1.3000")
        assert rate("USD", "GBP", MON) == Decimal("0.8000")
        assert rate("GBP", "USD", MON) == Decimal("1.3000")

    def test_a_stale_manual_rate_does_not_hide_newer_ecb_rates(self, ecb_rates):
        manual("USD", "GBP", THU, "0.5000")
        assert rate("USD", "GBP", THU) == Decimal("0.5000")
        assert rate("USD", "GBP", FRI) == divide("0.8570", "1.0760")

    def test_a_manual_euro_rate_is_used_like_an_ecb_one(self, db):
        manual("EUR", "CHF", FRI, "0.9800")
        store("EUR", "USD", FRI, "1.0760")
        assert rate("CHF", "USD", SAT) == divide("1.0760", "0.9800")

    def test_before_the_first_rate_ever_the_error_names_the_pair_and_day(self, ecb_rates):
        with pytest.raises(MissingRateError) as exc:
            convert(Decimal("10"), "GBP", "JPY", datetime.date(2001, 1, 3))
        assert str(exc.value) == "No exchange rate for GBP->JPY on or before 2001-01-03."
        assert (exc.value.base, exc.value.quote) == ("GBP", "JPY")
        assert exc.value.day == datetime.date(2001, 1, 3)

    @pytest.mark.parametrize(("base", "quote"), [("USD", "XAU"), ("XAU", "EUR"), ("EUR", "XAU")])
    def test_a_currency_with_no_rates_is_an_error_not_one_to_one(self, ecb_rates, base, quote):
        with pytest.raises(
            MissingRateError,
            match=rf"^No exchange rate for {base}->{quote} on or before 2024-05-06\.$",
        ):
            convert(Decimal("10"), base, quote, MON)

    def test_a_cross_needs_both_legs(self, db):
        store("EUR", "USD", FRI, "1.0760")
        with pytest.raises(MissingRateError, match="USD->GBP"):
            rate("USD", "GBP", FRI)


class TestConvert:
    def test_rounds_once_to_cents_half_to_even(self, ecb_rates):
        # 1.25 * 1.0760 = 1.345 exactly: half to even gives 1.34, not 1.35.
        assert convert(Decimal("1.25"), "EUR", "USD", FRI) == Decimal("1.34")
        assert convert(Decimal("-1.25"), "EUR", "USD", FRI) == Decimal("-1.34")

    def test_amounts_may_be_int_or_str_but_never_float(self, ecb_rates):
        assert convert(100, "EUR", "USD", FRI) == Decimal("107.60")
        assert convert("100", "EUR", "USD", FRI) == Decimal("107.60")
        with pytest.raises(TypeError, match="float"):
            convert(100.0, "EUR", "USD", FRI)

    def test_days_are_dates_not_datetimes(self, ecb_rates):
        moment = datetime.datetime(2024, 5, 3, 12, tzinfo=datetime.UTC)
        with pytest.raises(TypeError, match="date"):
            rate("EUR", "USD", moment)

    def test_precision_does_not_depend_on_the_callers_decimal_context(self, ecb_rates):
        expected = divide("0.8570", "1.0760")
        with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):
            assert rate("USD", "GBP", FRI) == expected
            assert convert(Decimal("123456789.00"), "USD", "GBP", FRI) == Decimal("98329431.39")
        assert len(expected.as_tuple().digits) == 28

    def test_a_round_trip_loses_at_most_a_cent(self, ecb_rates):
        pounds = convert(Decimal("1000.00"), "USD", "GBP", MON)
        assert abs(convert(pounds, "GBP", "USD", MON) - Decimal("1000.00")) <= Decimal("0.01")


# --- RateBook ---------------------------------------------------------------------------

BOOK_CURRENCIES = ("USD", "GBP", "JPY", "CHF")


@pytest.fixture
def random_rates(db):
    """Ten weeks of ECB-like rates with gaps, plus manual rates, one of them years old."""
    rng = random.Random(20240503)
    first = datetime.date(2024, 3, 4)
    rows = []
    for offset in range(70):
        day = first + datetime.timedelta(days=offset)
        if day.weekday() >= 5 or rng.random() < 0.1:  # weekends and holidays
            continue
        for quote, level in (("USD", 1.08), ("GBP", 0.85), ("JPY", 160.0), ("CHF", 0.97)):
            if rng.random() < 0.15:  # N/A for this currency that day
                continue
            value = Decimal(str(round(level * rng.uniform(0.95, 1.05), 4)))
            rows.append(ExchangeRate(base="EUR", quote=quote, day=day, rate=value))
        if rng.random() < 0.2:
            rows.append(
                ExchangeRate(
                    base=rng.choice(["USD", "GBP"]),
                    quote=rng.choice(["JPY", "CHF"]),
                    day=day,
                    rate=Decimal(str(round(rng.uniform(0.5, 200), 4))),
                    source=ExchangeRate.Source.MANUAL,
                )
            )
    rows.append(
        ExchangeRate(
            base="CHF",
            quote="GBP",
            day=datetime.date(2019, 6, 3),
            rate=Decimal("0.8123"),
            source=ExchangeRate.Source.MANUAL,
        )
    )
    ExchangeRate.objects.bulk_create(rows, ignore_conflicts=True)
    return first


class TestRateBook:
    def test_gives_what_rate_and_convert_give_on_random_days(self, random_rates):
        rng = random.Random(7)
        start = random_rates + datetime.timedelta(days=20)
        end = random_rates + datetime.timedelta(days=75)
        book = RateBook.load(BOOK_CURRENCIES, start, end)
        currencies = [*BOOK_CURRENCIES, "EUR"]
        compared = missing = 0
        for _ in range(300):
            day = start + datetime.timedelta(days=rng.randrange((end - start).days + 1))
            base, quote = rng.choice(currencies), rng.choice(currencies)
            amount = Decimal(rng.randrange(-(10**7), 10**7)) / 100
            try:
                expected = rate(base, quote, day), convert(amount, base, quote, day)
            except MissingRateError as exc:
                with pytest.raises(MissingRateError) as book_exc:
                    book.rate(base, quote, day)
                assert str(book_exc.value) == str(exc)
                missing += 1
                continue
            assert (book.rate(base, quote, day), book.convert(amount, base, quote, day)) == expected
            compared += 1
        assert compared > 250
        # Gaps exist but every currency had a rate before the book's start.
        assert missing == 0

    def test_missing_rates_before_the_first_one_match_rate(self, random_rates):
        start = random_rates - datetime.timedelta(days=3)
        book = RateBook.load(BOOK_CURRENCIES, start, random_rates)
        for day in (start, random_rates - datetime.timedelta(days=1)):
            with pytest.raises(MissingRateError) as exc:
                book.rate("USD", "JPY", day)
            assert str(exc.value) == f"No exchange rate for USD->JPY on or before {day}."
        # The years-old manual CHF -> GBP rate is the only one before the ECB rates start.
        assert book.rate("GBP", "CHF", start) == rate("GBP", "CHF", start)

    def test_a_range_starting_on_a_weekend_has_the_friday_before(self, ecb_rates):
        book = RateBook.load(["USD", "GBP"], SAT, SUN)
        assert book.rate("EUR", "USD", SUN) == Decimal("1.0760")
        assert book.rate("GBP", "USD", SAT) == divide("1.0760", "0.8570")

    @pytest.mark.parametrize("conversions", [1, 2000])
    def test_two_queries_however_many_conversions(
        self, random_rates, django_assert_num_queries, conversions
    ):
        start, end = (
            random_rates + datetime.timedelta(days=7),
            random_rates + datetime.timedelta(days=60),
        )
        rng = random.Random(conversions)
        with django_assert_num_queries(2):
            book = RateBook.load(BOOK_CURRENCIES, start, end)
            for _ in range(conversions):
                day = start + datetime.timedelta(days=rng.randrange((end - start).days + 1))
                book.convert(Decimal("19.99"), rng.choice(BOOK_CURRENCIES), "EUR", day)
                book.convert(Decimal("19.99"), "USD", rng.choice(BOOK_CURRENCIES), day)

    def test_one_currency_needs_no_query(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            book = RateBook.load(["EUR"], FRI, TUE)
            assert book.convert(Decimal("5.005"), "EUR", "EUR", MON) == Decimal("5.00")

    def test_refuses_days_and_currencies_it_was_not_loaded_for(self, ecb_rates):
        book = RateBook.load(["USD"], FRI, MON)
        with pytest.raises(ValueError, match="outside"):
            book.rate("EUR", "USD", TUE)
        with pytest.raises(ValueError, match="GBP"):
            book.rate("USD", "GBP", MON)
        assert book.rate("GBP", "GBP", MON) == 1
        with pytest.raises(ValueError, match="after its end"):
            RateBook.load(["USD"], MON, FRI)


# --- Parsing the ECB file ---------------------------------------------------------------

SMALL_CSV = """Date,USD,JPY,CYP,GBP,
2024-05-07,1.0750,165.80,N/A,0.8590,
2024-05-06,1.0765,N/A,N/A,0.8580,
2024-05-03,1.0760,164.50,0.58231,0.8570,
"""


class TestParseEcbCsv:
    def test_yields_day_quote_and_the_exact_decimal_of_the_text(self):
        rows = list(parse_ecb_csv(SMALL_CSV))
        assert (MON, "GBP", Decimal("0.8580")) in rows
        assert len(rows) == 9
        # N/A is no row, not a zero.
        assert [row for row in rows if row[:2] == (MON, "JPY")] == []
        usd = next(value for day, quote, value in rows if (day, quote) == (FRI, "USD"))
        assert str(usd) == "1.0760"

    def test_reads_the_daily_file_style_too(self):
        text = "\ufeffDate, USD, JPY, \n03 May 2024, 1.0760, 164.50, \n"
        assert list(parse_ecb_csv(text)) == [
            (FRI, "USD", Decimal("1.0760")),
            (FRI, "JPY", Decimal("164.50")),
        ]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "empty"),
            ("Day,USD\n2024-05-03,1.07\n", "No Date column"),
            ("Date,US Dollar\n2024-05-03,1.07\n", "'US Dollar', is not a currency code"),
            ("Date,USD,USD\n2024-05-03,1.07,1.07\n", "names USD twice"),
            ("Date,USD\n2024-05-03,1.07\n2024-05-06,abc\n", "Line 3, USD: 'abc' is not a number"),
            ("Date,USD\n2024-05-03,1,07\n", "Line 2 has a value in a column with no currency"),
            ("Date,USD\n2024-05-03,1e3\n", "'1e3' is not a number"),
            ("Date,USD\n2024-05-03,-1.07\n", "'-1.07' is not a number"),
            ("Date,USD\n2024-05-03,0.0\n", "is not positive"),
            ("Date,USD\n2024-05-03,NaN\n", "'NaN' is not a number"),
            ("Date,USD\n2024-05-03,1.12345678901\n", "more than 10 decimal places"),
            ("Date,USD\n2024-05-03,12345678901\n", "too large"),
            ("Date,USD\n2024-13-03,1.07\n", "Line 2: '2024-13-03' is not a date"),
            ("Date,USD\n03/05/2024,1.07\n", "is not a date"),
            ("Date,USD,GBP\n2024-05-03,1.07\n", "Line 2 has 2 fields; the header has 3"),
            ("Date,USD\n2024-05-03,1.07\n2024-05-03,1.08\n", "2024-05-03 is already on line 2"),
        ],
    )
    def test_a_broken_file_is_an_error_naming_the_line(self, text, message):
        with pytest.raises(EcbFileError, match=message.replace("(", r"\(")):
            list(parse_ecb_csv(text))


def zipped(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


class TestEcbTextFromBytes:
    def test_unzips_the_one_csv(self):
        data = zipped({"eurofxref-hist.csv": SMALL_CSV})
        assert ecb_text_from_bytes(data, name="rates.zip") == SMALL_CSV

    def test_reads_plain_csv(self):
        assert ecb_text_from_bytes(SMALL_CSV.encode(), name="rates.csv") == SMALL_CSV

    @pytest.mark.parametrize(
        ("data", "name", "message"),
        [
            (SMALL_CSV.encode(), "rates.zip", "rates.zip is not a zip file"),
            (zipped({"a.csv": SMALL_CSV, "b.csv": SMALL_CSV}), "x.zip", "exactly one .csv"),
            (zipped({"readme.txt": "hi"}), "x.zip", "it holds 0"),
            (b"\xff\xfe\x00garbage", "rates.csv", "neither a zip file nor UTF-8"),
        ],
    )
    def test_refuses_what_is_not_an_ecb_file(self, data, name, message):
        with pytest.raises(EcbFileError, match=message):
            ecb_text_from_bytes(data, name=name)


# --- Storing rates ----------------------------------------------------------------------


class TestRatesImport:
    def test_adds_euro_rates_from_the_ecb_and_skips_withdrawn_currencies(self):
        result = rates_import(rows=parse_ecb_csv(SMALL_CSV))
        assert (result.added, result.unchanged, result.corrected, result.kept_manual) == (
            8,
            0,
            0,
            0,
        )
        assert result.currencies == ("GBP", "JPY", "USD")
        assert result.skipped_currencies == ("CYP",)
        assert (result.first_day, result.last_day) == (FRI, TUE)
        stored = ExchangeRate.objects.get(base="EUR", quote="JPY", day=FRI)
        assert (stored.rate, stored.source) == (Decimal("164.50"), ExchangeRate.Source.ECB)

    def test_a_second_import_adds_nothing(self):
        rates_import(rows=parse_ecb_csv(SMALL_CSV))
        before = list(ExchangeRate.objects.values_list("pk", "rate").order_by("pk"))
        result = rates_import(rows=parse_ecb_csv(SMALL_CSV))
        assert (result.added, result.unchanged) == (0, 8)
        assert list(ExchangeRate.objects.values_list("pk", "rate").order_by("pk")) == before

    def test_a_corrected_ecb_rate_is_updated(self):
        store("EUR", "USD", FRI, "1.0999")
        result = rates_import(rows=[(FRI, "USD", Decimal("1.0760"))])
        assert (result.added, result.corrected) == (0, 1)
        assert ExchangeRate.objects.get(quote="USD", day=FRI).rate == Decimal("1.0760")

    def test_a_staff_entered_rate_is_never_overwritten(self):
        manual("EUR", "USD", FRI, "1.1111")
        result = rates_import(rows=parse_ecb_csv(SMALL_CSV))
        assert (result.added, result.kept_manual) == (7, 1)
        kept = ExchangeRate.objects.get(quote="USD", day=FRI)
        assert (kept.rate, kept.source) == (Decimal("1.1111"), ExchangeRate.Source.MANUAL)

    def test_a_rate_stored_meanwhile_is_kept(self, monkeypatch):
        # A staff entry that lands between the read and the insert wins the conflict.
        from accounts import currency

        original = currency._insert_new_rates

        def race(rows, **kwargs):
            ExchangeRateFactory(
                quote="USD", day=FRI, rate=Decimal("1.2"), source=ExchangeRate.Source.MANUAL
            )
            original(rows, **kwargs)

        monkeypatch.setattr(currency, "_insert_new_rates", race)
        rates_import(rows=parse_ecb_csv(SMALL_CSV))
        assert ExchangeRate.objects.get(quote="USD", day=FRI).rate == Decimal("1.2")
        assert ExchangeRate.objects.count() == 8

    def test_one_database_transaction(self, monkeypatch):
        from accounts import currency

        store("EUR", "USD", FRI, "1.0999")

        def fail(rows, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(currency, "_insert_new_rates", fail)
        with pytest.raises(RuntimeError):
            rates_import(rows=parse_ecb_csv(SMALL_CSV))
        # The correction made before the failure was rolled back with it.
        assert list(ExchangeRate.objects.values_list("quote", "rate")) == [
            ("USD", Decimal("1.0999"))
        ]

    def test_two_different_rates_for_one_day_are_refused(self):
        rows = [(FRI, "USD", Decimal("1.07")), (FRI, "USD", Decimal("1.08"))]
        with pytest.raises(ValueError, match="Two different rates for EUR->USD on 2024-05-03"):
            rates_import(rows=rows)
        assert not ExchangeRate.objects.exists()

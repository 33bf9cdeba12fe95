"""manage.py load_ecb_rates: the ECB history into ExchangeRate, idempotent, all or nothing."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.currency import parse_ecb_csv, read_ecb_file
from accounts.models import ExchangeRate

pytestmark = pytest.mark.django_db

FRI = datetime.date(2024, 5, 3)

CSV = """Date,USD,JPY,CYP,GBP,
2024-05-07,1.0750,165.80,N/A,0.8590,
2024-05-06,1.0765,N/A,N/A,0.8580,
2024-05-03,1.0760,164.50,0.58231,0.8570,
"""


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_ecb_rates", *args, stdout=out)
    return out.getvalue()


def snapshot():
    return list(
        ExchangeRate.objects.order_by("pk").values_list(
            "pk", "base", "quote", "day", "rate", "source"
        )
    )


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(CSV)
    return path


@pytest.fixture
def zip_file(tmp_path):
    path = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("eurofxref-hist.csv", CSV)
    return path


def test_loads_a_csv_file_as_euro_rates_from_the_ecb(csv_file):
    out = load("--file", str(csv_file))
    assert "Added 8 exchange rates for EUR -> 3 currencies, 2024-05-03 to 2024-05-07." in out
    assert "Skipped (not current ISO 4217 codes): CYP." in out
    assert set(ExchangeRate.objects.values_list("base", "source")) == {("EUR", "ecb")}
    assert ExchangeRate.objects.get(quote="JPY", day=FRI).rate == Decimal("164.50")
    assert not ExchangeRate.objects.filter(quote="JPY", day=datetime.date(2024, 5, 6)).exists()


def test_loads_a_zip_file(zip_file):
    load("--file", str(zip_file))
    assert ExchangeRate.objects.count() == 8


def test_since_limits_the_days(csv_file):
    out = load("--file", str(csv_file), "--since", "2024-05-06")
    assert "Added 5 exchange rates for EUR -> 3 currencies, 2024-05-06 to 2024-05-07." in out
    assert not ExchangeRate.objects.filter(day=FRI).exists()


def test_nothing_since_the_day_given(csv_file):
    out = load("--file", str(csv_file), "--since", "2024-06-01")
    assert "No rates on or after 2024-06-01" in out
    assert not ExchangeRate.objects.exists()


def test_running_twice_creates_nothing_the_second_time(zip_file):
    load("--file", str(zip_file))
    before = snapshot()
    out = load("--file", str(zip_file))
    assert "Added 0 exchange rates" in out
    assert "Already loaded: 8; corrected: 0; staff-entered kept: 0." in out
    assert snapshot() == before


def test_a_staff_entered_rate_is_kept(csv_file):
    ExchangeRate.objects.create(
        base="EUR", quote="USD", day=FRI, rate=Decimal("1.5"), source=ExchangeRate.Source.MANUAL
    )
    out = load("--file", str(csv_file))
    assert "Added 7 exchange rates" in out
    assert "staff-entered kept: 1." in out
    kept = ExchangeRate.objects.get(quote="USD", day=FRI)
    assert (kept.rate, kept.source) == (Decimal("1.5000000000"), ExchangeRate.Source.MANUAL)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rates.zip", CSV, "is not a zip file"),
        ("rates.csv", CSV.replace("Date,", "Day,"), "No Date column"),
        # The bad value is on the last line: the lines before it are not written either.
        (
            "rates.csv",
            CSV.replace("1.0760", "1,0760"),
            "Line 4 has a value in a column with no currency code",
        ),
        ("rates.csv", CSV.replace("164.50", "n/a"), "Line 4, JPY: 'n/a' is not a number"),
    ],
)
def test_a_broken_file_writes_nothing(tmp_path, name, content, message):
    ExchangeRate.objects.create(base="EUR", quote="USD", day=FRI, rate=Decimal("1.0760"))
    before = snapshot()
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(CommandError, match=message) as exc:
        load("--file", str(path))
    assert str(exc.value).startswith("Not loaded, nothing written:")
    assert name in str(exc.value)
    assert snapshot() == before


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*nowhere.zip"):
        load("--file", str(tmp_path / "nowhere.zip"))


def test_a_malformed_since_is_refused(csv_file):
    with pytest.raises(CommandError, match="'3 May' is not a date in YYYY-MM-DD form"):
        load("--file", str(csv_file), "--since", "3 May")


def test_the_bundled_ecb_history_is_found_and_loads():
    rows = list(parse_ecb_csv(read_ecb_file()))
    days = {day for day, _, _ in rows}
    assert min(days) == datetime.date(1999, 1, 4)
    assert {"USD", "GBP", "JPY", "CHF"} <= {quote for _, quote, _ in rows}
    assert (datetime.date(1999, 1, 4), "USD", Decimal("1.1789")) in rows

    # The last two weeks keep the test fast; the whole file loads the same way.
    since = (max(days) - datetime.timedelta(days=14)).isoformat()
    out = load("--since", since)
    added = ExchangeRate.objects.count()
    assert added > 100
    assert f"Added {added} exchange rates" in out
    assert "Added 0 exchange rates" in load("--since", since)
    assert ExchangeRate.objects.count() == added

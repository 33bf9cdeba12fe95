"""The bill-matching settings come from the environment, strictly (a fresh process each)."""

import pytest

from smartbank.tests.test_settings import run, settings_values


def test_the_matching_defaults_and_their_overrides():
    assert settings_values("BILL_MATCH_TOLERANCE_PERCENT", "BILL_MATCH_DAYS") == {
        "BILL_MATCH_TOLERANCE_PERCENT": 5,
        "BILL_MATCH_DAYS": 7,
    }
    assert settings_values(
        "BILL_MATCH_TOLERANCE_PERCENT",
        "BILL_MATCH_DAYS",
        BILL_MATCH_TOLERANCE_PERCENT="10",
        BILL_MATCH_DAYS="3",
    ) == {"BILL_MATCH_TOLERANCE_PERCENT": 10, "BILL_MATCH_DAYS": 3}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BILL_MATCH_TOLERANCE_PERCENT", "5%"),
        ("BILL_MATCH_TOLERANCE_PERCENT", "101"),
        ("BILL_MATCH_TOLERANCE_PERCENT", "-1"),
        ("BILL_MATCH_DAYS", "a week"),
        ("BILL_MATCH_DAYS", "-7"),
    ],
)
def test_a_malformed_value_stops_start_up_naming_the_variable(name, value):
    result = run("-c", "import smartbank.settings", **{name: value})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr

"""The import benchmark (bench/import_bench.py) runs, checks itself and reports its figures."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from bench import import_bench
from transactions.models import ImportBatch, Transaction

pytestmark = pytest.mark.django_db


def test_a_small_run_imports_twice_checks_itself_and_prints_the_figures(capsys):
    status = import_bench.main(["--rows", "200", "--allow-sqlite"])

    out = capsys.readouterr().out
    assert status == 0, out
    assert "file: 200 rows" in out
    assert "20 active rules" in out
    first = re.search(r"first import: 200 created in [\d.]+ s = ([\d,]+) rows/s \(parse", out)
    again = re.search(r"re-import: +200 duplicates in [\d.]+ s = ([\d,]+) rows/s", out)
    assert first and again, out
    assert int(first.group(1).replace(",", "")) > 0
    assert re.search(r"categorised by the rules: [\d,]+ rows \([\d.]+%\)", out)
    assert "checks passed" in out and "FAILED" not in out
    # It cleans up after itself.
    assert not Transaction.objects.exists()
    assert not ImportBatch.objects.exists()


def test_it_refuses_anything_but_postgresql_unless_told(capsys, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert import_bench.main(["--rows", "10"]) == 2
    assert "Refusing to run on sqlite" in capsys.readouterr().err
    assert not Transaction.objects.exists()


def test_a_row_the_rules_categorise_otherwise_than_the_oracle_fails_the_run(monkeypatch, capsys):
    real_expected = import_bench.expected_outcome

    def salaries_expected_as_other(row, specs):
        category, merchant = real_expected(row, specs)
        return ("other" if category == "income" else category), merchant

    monkeypatch.setattr(import_bench, "expected_outcome", salaries_expected_as_other)

    assert import_bench.main(["--rows", "300", "--allow-sqlite"]) == 1
    assert "FAILED: " in capsys.readouterr().out


def test_the_generated_statement_is_a_german_export_of_demo_rows():
    rows = import_bench.generate_rows(500, end=date(2026, 3, 31))
    data = import_bench.statement_csv(rows, style="de", currency="EUR").decode()
    lines = data.splitlines()

    assert len(rows) == 500 and len(lines) == 501
    assert (
        lines[0] == "Buchungstag;Valutadatum;Auftraggeber/Empfänger;Verwendungszweck;Betrag;Währung"
    )
    assert [r.txn_date for r in rows] == sorted(r.txn_date for r in rows)
    assert rows[-1].txn_date <= date(2026, 3, 31)
    assert any(r.merchant == "REWE" for r in rows)
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4};\d\d\.\d\d\.\d{4};.*;-?[\d.]+,\d\d;EUR", lines[1])
    assert import_bench._german_amount(Decimal("-1234.5")) == "-1.234,50"
    plain = import_bench.statement_csv(rows[:1], style="plain", currency="EUR").decode()
    assert plain.splitlines()[1].startswith(rows[0].txn_date.isoformat())

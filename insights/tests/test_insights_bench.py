"""The insights benchmark (bench/insights_bench.py): its customer, its bare SQL, its verdict."""

import re
from datetime import date

import pytest
from django.db import connection

from accounts.models import User
from bench import insights_bench
from smartbank.demo import CARD, CHECKING, FOREIGN, SAVINGS
from transactions.models import Transaction
from transactions.services import ledger_differences

ENDPOINTS = (
    "GET /api/v1/dashboard/overview/",
    "GET /api/v1/insights/cash-flow/",
    "GET /api/v1/insights/merchants/",
    "GET /api/v1/insights/categories/",
    "GET /api/v1/insights/trends/?period=week",
    "GET /api/v1/insights/trends/?period=month",
    "GET /api/v1/insights/burn-rate/",
    "GET /api/v1/transactions/metrics/",
    "GET /api/v1/currency/summary/",
    "GET /api/v1/reports/transaction-trends/{id}/",
)
# endpoint, median, p95, queries, SQL median, SQL p95, statements, same
ROW = r"{}\s+[\d.]+\s+[\d.]+\s+\d+\s+[\d.]+\s+[\d.]+\s+\d+\s+{}"


def test_the_plan_has_exactly_the_rows_asked_for_in_every_kind_of_account():
    start, end = date(2025, 1, 1), date(2025, 12, 31)

    _, plan = insights_bench.plan_bench_history(rows=5000, start=start, end=end)

    assert insights_bench.plan_rows(plan) == 5000
    assert set(plan.rows) == {CHECKING, SAVINGS, CARD, FOREIGN}
    rows = [row for planned in plan.rows.values() for row in planned]
    assert all(start <= row["txn_date"] <= end for row in rows)
    assert any(row["description"].startswith("Refund ") for row in rows)
    assert any(row["description"].startswith("Salary ") for row in rows)
    # Card payoffs, savings and euro top-ups: each transfer is two linked legs.
    assert {(t.from_key, t.to_key) for t in plan.transfers} == {
        (CHECKING, CARD),
        (CHECKING, SAVINGS),
        (CHECKING, FOREIGN),
    }


def test_the_95th_percentile_is_the_nearest_rank():
    assert insights_bench.percentile(list(range(1, 101)), 0.95) == 95
    assert insights_bench.percentile([3.0, 1.0, 2.0], 0.95) == 3.0
    assert insights_bench.percentile([7.5], 0.95) == 7.5


@pytest.mark.django_db
def test_it_refuses_anything_but_postgresql(capsys, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")

    assert insights_bench.main(["--rows", "1000"]) == 2
    assert "Refusing to run on sqlite" in capsys.readouterr().err
    assert not Transaction.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_small_run_times_each_endpoint_beside_the_same_figures_in_sql(capsys, monkeypatch):
    status = insights_bench.main(["--rows", "3000", "--years", "1", "--runs", "2"])

    out = capsys.readouterr().out
    assert status == 0, out
    for name in ENDPOINTS:
        assert re.search(ROW.format(re.escape(name), "yes"), out), (name, out)
    assert re.search(r"PASS: GET /api/v1/dashboard/overview/ p95 [\d.]+ ms", out)
    customer = User.objects.get(email=insights_bench.bench_email(3000, 1))
    assert Transaction.objects.filter(user=customer).count() == 3000
    assert Transaction.objects.filter(user=customer, kind="transfer").count() % 2 == 0
    assert ledger_differences() == []

    # Run again on the same customer with a bare SQL that ranks one merchant fewer: the
    # figures differ, and the run says so and fails.
    monkeypatch.setattr(
        insights_bench,
        "MERCHANTS_SQL",
        insights_bench.MERCHANTS_SQL.replace("LIMIT 10", "LIMIT 9"),
    )
    status = insights_bench.main(
        ["--rows", "3000", "--years", "1", "--runs", "1", "--only", "merchants"]
    )

    out = capsys.readouterr().out
    assert status == 1
    assert re.search(ROW.format(re.escape("GET /api/v1/insights/merchants/"), "NO"), out)
    assert "DIFFERS GET /api/v1/insights/merchants/: merchants: API" in out
    assert Transaction.objects.filter(user=customer).count() == 3000

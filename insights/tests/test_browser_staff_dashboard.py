"""The staff portfolio page in a real browser, as the demo admin: the charts draw and hold
what /api/v1/staff/portfolio/ answers, for the default range and a chosen one."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from accounts.models import BankAccount, User
from accounts.tests.factories import ExchangeRateFactory
from alerts.models import AlertType
from smartbank.browser import browser_context, check_page, log_in
from smartbank.demo import DEMO_PASSWORD, seed_demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_categories"),
]

ADMIN = "admin@smartbank.example"

CHART_DATA = """() => Object.fromEntries(
  ["chart-kyc", "chart-deposits", "chart-spending", "chart-alerts", "chart-overdue"].map((id) => {
    const chart = Chart.getChart(document.getElementById(id));
    return [id, { labels: chart.data.labels, data: chart.data.datasets[0].data,
      drawn: chart.getDatasetMeta(0).data.length }];
  }))"""
CARDS = ("card-customers", "card-deposits", "card-open-alerts", "card-overdue-bills")


def _rates_for_every_demo_currency() -> None:
    """The demo holds no exchange rates; the portfolio converts to EUR, so give each of its
    currencies one rate from before its history."""
    day = timezone.now().date() - timedelta(days=4 * 366)
    for currency in set(BankAccount.objects.values_list("currency", flat=True)) - {"EUR"}:
        ExchangeRateFactory(base="EUR", quote=currency, day=day, rate=Decimal("1.1000"))


def _expected(page, base: str, query: dict) -> dict:
    response = page.request.get(f"{base}/api/v1/staff/portfolio/?{urlencode(query)}")
    assert response.status == 200, response.text()
    portfolio = response.json()
    kyc = dict(User.KycStatus.choices)
    alert_names = dict(AlertType.choices)
    return {
        "charts": {
            "chart-kyc": {
                "labels": [
                    kyc[row["kyc_status"]] for row in portfolio["customers"]["by_kyc_status"]
                ],
                "data": [row["customers"] for row in portfolio["customers"]["by_kyc_status"]],
            },
            "chart-deposits": {
                "labels": [row["currency"] for row in portfolio["deposits"]["by_currency"]],
                "data": [row["balance"] for row in portfolio["deposits"]["by_currency"]],
            },
            "chart-spending": {
                "labels": [row["name"] for row in portfolio["spending"]["categories"]],
                "data": [row["spending"] for row in portfolio["spending"]["categories"]],
            },
            "chart-alerts": {
                "labels": [
                    alert_names[row["alert_type"]] for row in portfolio["open_alerts"]["by_type"]
                ],
                "data": [row["open"] for row in portfolio["open_alerts"]["by_type"]],
            },
            "chart-overdue": {
                "labels": [row["currency"] for row in portfolio["overdue_bills"]["by_currency"]],
                "data": [row["amount_due"] for row in portfolio["overdue_bills"]["by_currency"]],
            },
        },
        "cards": {
            "card-customers": str(portfolio["customers"]["total"]),
            "card-deposits": portfolio["deposits"]["total"],
            "card-open-alerts": str(portfolio["open_alerts"]["total"]),
            "card-overdue-bills": str(portfolio["overdue_bills"]["bills"]),
        },
        "range": (portfolio["date_from"], portfolio["date_to"]),
    }


def _shown(page) -> dict:
    charts = page.evaluate(CHART_DATA)
    for chart_id, chart in charts.items():
        assert chart["drawn"] == len(chart["labels"]), chart_id
    return {
        "charts": {key: {"labels": c["labels"], "data": c["data"]} for key, c in charts.items()},
        "cards": {card: page.locator(f"#{card}").get_attribute("data-value") for card in CARDS},
        "range": (
            page.locator("#id_date_from").input_value(),
            page.locator("#id_date_to").input_value(),
        ),
    }


def _wait_for_load(page, after: int) -> None:
    page.wait_for_function(
        f"() => Number(document.getElementById('portfolio').dataset.loads) > {after}"
    )
    assert page.locator("#portfolio").get_attribute("data-state") == "ready"


def test_the_portfolio_charts_hold_the_apis_figures(live_server):
    seed_demo()
    _rates_for_every_demo_currency()
    base = live_server.url
    with browser_context(base) as context:
        page = context.new_page()
        log_in(page, base, email=ADMIN, password=DEMO_PASSWORD)
        page.goto(f"{base}/staff/")
        _wait_for_load(page, 0)
        first = _shown(page)
        assert first == _expected(page, base, {})
        assert first["charts"]["chart-kyc"]["data"] and first["charts"]["chart-deposits"]["labels"]
        check_page(page, "staff-dashboard")

        # The last 90 days: spending changes, and still matches the API.
        today = date.fromisoformat(first["range"][1])
        date_from = (today - timedelta(days=90)).isoformat()
        page.locator("#id_date_from").fill(date_from)
        page.get_by_role("button", name="Show").click()
        _wait_for_load(page, 1)
        assert f"date_from={date_from}" in page.url
        second = _shown(page)
        assert second == _expected(
            page, base, {"date_from": date_from, "date_to": today.isoformat()}
        )
        assert second["charts"]["chart-spending"] != first["charts"]["chart-spending"]
        assert context.outside_requests == []

"""The dashboard in a real browser: every chart's data and every card match the API.

One demo dataset for the module (seed_demo once); paula is the practical demo customer.
The expected figures are asked of the API in the same browser session (page.request), with
the filters the page shows, so the test says "the page shows what the API answers".
"""

from datetime import date
from urllib.parse import urlencode

import pytest

from smartbank.browser import browser_context, check_page, log_in
from smartbank.dates import add_months
from smartbank.demo import DEMO_PASSWORD, seed_demo

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("default_categories"),
]

CUSTOMER = "paula@smartbank.example"

CHART_DATA = """() => Object.fromEntries(
  ["chart-categories", "chart-share", "chart-trend", "chart-cash-flow"].map((id) => {
    const chart = Chart.getChart(document.getElementById(id));
    return [id, {
      labels: chart.data.labels,
      datasets: chart.data.datasets.map((d) => d.data),
      drawn: chart.data.datasets.map((_, i) => chart.getDatasetMeta(i).data.length),
      width: chart.width,
    }];
  }))"""

CARDS = (
    "card-total-balance",
    "card-spent-this-month",
    "card-spent-period",
    "card-average",
    "card-top-category",
    "card-unread-alerts",
    "card-reward-points",
)


def _api(page, base: str, path: str, **query) -> dict:
    given = {name: value for name, value in query.items() if value}
    response = page.request.get(f"{base}{path}?{urlencode(given)}")
    assert response.status == 200, (path, response.text())
    return response.json()


def _expected(page, base: str, filters: dict, today: date) -> dict:
    """What the API answers for these filters, in the shape the page holds it."""
    scope = {name: filters[name] for name in ("date_from", "date_to", "category")}
    overview = _api(page, base, "/api/v1/dashboard/overview/")
    period = _api(page, base, "/api/v1/transactions/metrics/", **scope)
    month = _api(
        page,
        base,
        "/api/v1/transactions/metrics/",
        date_from=today.replace(day=1).isoformat(),
        date_to=today.isoformat(),
        category=filters["category"],
    )
    categories = _api(page, base, "/api/v1/insights/categories/", **scope)["categories"]
    trends = _api(page, base, "/api/v1/insights/trends/", **scope, period=filters["period"])
    flow = _api(page, base, "/api/v1/insights/cash-flow/", **scope)["months"]
    top = period["top_categories"][0]["category"] if period["top_categories"] else ""
    return {
        "charts": {
            "chart-categories": {
                "labels": [row["category_name"] for row in categories],
                "datasets": [[row["spending"] for row in categories]],
            },
            "chart-share": {
                "labels": [row["category_name"] for row in categories],
                "datasets": [[row["share"] for row in categories]],
            },
            "chart-trend": {
                "labels": [row["start"] for row in trends["periods"]],
                "datasets": [[row["spending"] for row in trends["periods"]]],
            },
            "chart-cash-flow": {
                "labels": [row["start"] for row in flow],
                "datasets": [[row["income"] for row in flow], [row["expenses"] for row in flow]],
            },
        },
        "cards": {
            "card-total-balance": overview["accounts"]["total_balance"],
            "card-spent-this-month": month["total_spent"],
            "card-spent-period": period["total_spent"],
            "card-average": period["average_transaction"] or "",
            "card-top-category": top or "",
            "card-unread-alerts": str(overview["unread_alerts"]),
            "card-reward-points": str(overview["reward_points"]),
        },
    }


def _shown(page) -> dict:
    charts = page.evaluate(CHART_DATA)
    for chart_id, chart in charts.items():
        # Drawn: the chart has a size and one element per label in each dataset.
        assert chart["width"] > 0, chart_id
        assert all(n == len(chart["labels"]) for n in chart["drawn"]), chart_id
    return {
        "charts": {
            chart_id: {"labels": chart["labels"], "datasets": chart["datasets"]}
            for chart_id, chart in charts.items()
        },
        "cards": {card: page.locator(f"#{card}").get_attribute("data-value") for card in CARDS},
    }


def _filters(page) -> dict:
    return {
        "date_from": page.locator("#id_date_from").input_value(),
        "date_to": page.locator("#id_date_to").input_value(),
        "category": page.locator("#id_category").input_value(),
        "period": page.locator("#id_period").input_value(),
    }


def _wait_for_load(page, after: int) -> None:
    page.wait_for_function(
        f"() => Number(document.getElementById('dashboard').dataset.loads) > {after}"
    )
    assert page.locator("#dashboard").get_attribute("data-state") == "ready"


def _loads(page) -> int:
    return int(page.locator("#dashboard").get_attribute("data-loads"))


def test_dashboard_charts_and_cards_match_the_api_and_follow_the_filters(
    live_server,
):
    seed_demo()
    base = live_server.url
    with browser_context(base) as context:
        page = context.new_page()
        log_in(page, base, email=CUSTOMER, password=DEMO_PASSWORD)
        page.goto(f"{base}/dashboard/")
        _wait_for_load(page, 0)
        today = date.fromisoformat(page.locator("#dashboard").get_attribute("data-today"))

        # The default range: the API's own (12 calendar months up to today).
        filters = _filters(page)
        assert filters == {
            "date_from": add_months(today.replace(day=1), -11).isoformat(),
            "date_to": today.isoformat(),
            "category": "",
            "period": "month",
        }
        first = _shown(page)
        assert first == _expected(page, base, filters, today)
        assert len(first["charts"]["chart-cash-flow"]["labels"]) == 12
        assert first["charts"]["chart-categories"]["labels"], "the demo customer spends"
        # Cards show the figures formatted in the customer's locale, with the currency.
        assert "€" in page.locator("#card-total-balance").inner_text()
        assert page.locator("#budget-list progress").count() > 0
        assert page.locator("#recent-table tbody tr").count() == 10
        check_page(page, "dashboard")

        # A shorter range, from four months ago to the 1st of last month: everything changes
        # together.
        date_from = add_months(today.replace(day=1), -4)
        date_to = add_months(today.replace(day=1), -1)
        page.locator("#id_date_from").fill(date_from.isoformat())
        page.locator("#id_date_to").fill(date_to.isoformat())
        loads = _loads(page)
        page.get_by_role("button", name="Show").click()
        _wait_for_load(page, loads)
        filters = _filters(page)
        assert f"date_from={date_from.isoformat()}" in page.url
        second = _shown(page)
        assert second == _expected(page, base, filters, today)
        assert len(second["charts"]["chart-cash-flow"]["labels"]) == 4
        for chart_id in ("chart-categories", "chart-trend", "chart-cash-flow"):
            assert second["charts"][chart_id] != first["charts"][chart_id], chart_id
        assert second["cards"]["card-spent-period"] != first["cards"]["card-spent-period"]
        assert second["cards"]["card-average"] != first["cards"]["card-average"]

        # Weekly spending and one category; then a reload keeps the filters from the URL.
        page.locator("#id_category").select_option("groceries")
        loads = _loads(page)
        page.get_by_role("button", name="Show").click()
        _wait_for_load(page, loads)
        loads = _loads(page)
        page.locator("#id_period").select_option("week")
        _wait_for_load(page, loads)
        filters = _filters(page)
        assert filters["category"] == "groceries" and filters["period"] == "week"
        third = _shown(page)
        assert third == _expected(page, base, filters, today)
        assert third["charts"]["chart-categories"]["labels"] == ["Groceries"]
        assert third["cards"]["card-top-category"] == "groceries"
        page.reload()
        _wait_for_load(page, 0)
        assert _filters(page) == filters
        assert _shown(page) == third

        # A range the wrong way round: the API's message beside the field, nothing redrawn.
        page.locator("#id_date_from").fill(today.isoformat())
        page.locator("#id_date_to").fill(date_from.isoformat())
        loads = _loads(page)
        page.get_by_role("button", name="Show").click()
        page.wait_for_function(
            f"() => Number(document.getElementById('dashboard').dataset.loads) > {loads}"
        )
        assert "is after date_to" in page.locator("#id_date_from_error").inner_text()
        assert _shown(page) == third
        assert context.outside_requests == []

/* The staff portfolio as charts: one call to /api/v1/staff/portfolio/ with the range in
   the URL; each chart holds the API's own figures (amounts as its strings). */
(function () {
  "use strict";
  const root = document.getElementById("portfolio");
  if (!root) return;
  const { api, money, day, locale } = window.SmartBank;
  const form = document.getElementById("portfolio-filters");
  const names = JSON.parse(document.getElementById("portfolio-names").textContent);
  const { palette, moneyLabel, barChart, doughnutChart, emptyState } = window.SmartBankCharts;
  let loads = 0;
  window.SmartBankCharts.useDefaults();

  const byId = (id) => document.getElementById(id);
  const count = (n) => new Intl.NumberFormat(locale).format(n);

  function setCard(id, raw, text) {
    const node = byId(id);
    node.dataset.value = String(raw);
    node.textContent = text;
  }

  /** One bar per row; the tooltip shows money when `currencyOf(index)` is given, else a count. */
  function bar(id, labels, data, { currencyOf = null, horizontal = false } = {}) {
    barChart(id, labels, [{ data, backgroundColor: palette[0] }], {
      horizontal, tooltip: { label: currencyOf ? moneyLabel(currencyOf, { named: false }) : (item) => count(item.raw) },
      scales: { [horizontal ? "x" : "y"]: { beginAtZero: true } },
    });
  }

  function draw(portfolio) {
    const { customers, deposits, spending, open_alerts: alerts, overdue_bills: overdue } = portfolio;
    byId("portfolio-range").textContent = `From ${day(portfolio.date_from)} to ${day(portfolio.date_to)} (UTC). Totals in ${portfolio.currency}.`;
    setCard("card-customers", customers.total, count(customers.total));
    byId("card-joined").textContent = `${count(customers.joined)} joined in the range`;
    setCard("card-deposits", deposits.total, money(deposits.total, deposits.currency));
    byId("card-deposit-accounts").textContent = `${count(deposits.accounts)} accounts, at the rates of ${day(deposits.rate_date)}`;
    setCard("card-open-alerts", alerts.total, count(alerts.total));
    byId("card-unread-alerts").textContent = `${count(alerts.unread)} unread`;
    setCard("card-overdue-bills", overdue.bills, count(overdue.bills));

    const kyc = customers.by_kyc_status;
    doughnutChart("chart-kyc", kyc.map((row) => names.kyc_status[row.kyc_status] || row.kyc_status),
      [{ data: kyc.map((row) => row.customers), backgroundColor: [palette[2], palette[1], palette[4]] }],
      { legend: "bottom" });

    bar("chart-deposits", deposits.by_currency.map((row) => row.currency),
      deposits.by_currency.map((row) => row.balance),
      { currencyOf: (index) => deposits.by_currency[index].currency });
    bar("chart-spending", spending.categories.map((row) => row.name),
      spending.categories.map((row) => row.spending),
      { currencyOf: () => spending.currency, horizontal: true });
    emptyState("chart-spending-empty", spending.categories.length === 0);
    bar("chart-alerts", alerts.by_type.map((row) => names.alert_type[row.alert_type] || row.alert_type),
      alerts.by_type.map((row) => row.open), { horizontal: true });
    bar("chart-overdue", overdue.by_currency.map((row) => row.currency),
      overdue.by_currency.map((row) => row.amount_due),
      { currencyOf: (index) => overdue.by_currency[index].currency });
    emptyState("chart-overdue-empty", overdue.by_currency.length === 0);
  }

  const showErrors = (error) => SmartBank.showErrors(error, {
    fields: ["date_from", "date_to"],
    box: byId("portfolio-error"),
    summary: "Please correct the range above.",
  });

  async function load(filters) {
    loads += 1;
    const ticket = loads;
    root.dataset.state = "loading";
    try {
      const portfolio = await api("/api/v1/staff/portfolio/", { query: filters });
      if (ticket !== loads) return;
      byId("portfolio-error").hidden = true;
      draw(portfolio);
      // An empty box means the API's default range: show which one it took.
      if (!form.elements.date_from.value) form.elements.date_from.value = portfolio.date_from;
      if (!form.elements.date_to.value) form.elements.date_to.value = portfolio.date_to;
      root.dataset.state = "ready";
    } catch (error) {
      if (ticket !== loads) return;
      showErrors(error);
      root.dataset.state = "error";
    }
    root.dataset.loads = String(ticket);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    showErrors(null);
    const data = new FormData(form);
    const filters = { date_from: data.get("date_from") || "", date_to: data.get("date_to") || "" };
    const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value));
    history.pushState(filters, "", `${window.location.pathname}?${query}`);
    load(filters);
  });
  window.addEventListener("popstate", (event) => {
    const filters = event.state || JSON.parse(byId("portfolio-filters-initial").textContent);
    form.elements.date_from.value = filters.date_from || "";
    form.elements.date_to.value = filters.date_to || "";
    load(filters);
  });
  load(JSON.parse(byId("portfolio-filters-initial").textContent));
})();

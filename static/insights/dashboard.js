/* The customer dashboard: every card and chart comes from the JSON API with the same
   filters (date range, category), so the page shows exactly what the API answers. One
   change of filter fetches them all again and redraws them together; the filters live in
   the URL's query, so a reload or a shared link shows the same view. */
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const { api, money, day, locale } = window.SmartBank;
  const form = document.getElementById("dashboard-filters");
  const periodSelect = document.getElementById("id_period");
  const currency = document.body.dataset.currency;
  const today = root.dataset.today;
  const { palette, colour, moneyAxis, labelAxis, moneyLabel, emptyState } = window.SmartBankCharts;
  const { barChart, lineChart, doughnutChart } = window.SmartBankCharts;
  const FIELDS = ["date_from", "date_to", "category", "period"];
  let loads = 0;
  window.SmartBankCharts.useDefaults();

  const byId = (id) => document.getElementById(id);
  const show = (id, visible) => { byId(id).hidden = !visible; };

  function filtersFromForm() {
    const data = new FormData(form);
    return Object.fromEntries(FIELDS.map((name) => [name, (data.get(name) || "").trim()]));
  }

  function setFormFilters(filters) {
    FIELDS.forEach((name) => {
      const input = name === "period" ? periodSelect : form.elements[name];
      if (input) input.value = filters[name] || "";
    });
  }

  // --- Formatting ------------------------------------------------------------------
  const monthLabel = (iso) => new Intl.DateTimeFormat(locale, { month: "short", year: "numeric", timeZone: "UTC" })
    .format(new Date(`${iso}T00:00:00Z`));
  const weekLabel = (iso) => new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" })
    .format(new Date(`${iso}T00:00:00Z`));
  const count = (n) => new Intl.NumberFormat(locale).format(n);
  const percent = (share) => new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 })
    .format(Number(share) / 100);

  /** A card's figure: the API's raw value in data-value (what tests compare), formatted text. */
  function setCard(id, raw, text) {
    const node = byId(id);
    node.dataset.value = raw === null || raw === undefined ? "" : String(raw);
    node.textContent = text;
    node.classList.toggle("negative", typeof raw === "string" && Number(raw) < 0);
  }

  // --- Charts (the API's labels and amounts, drawn by static/insights/charts.js) ----
  function drawCategories(breakdown) {
    const rows = breakdown.categories;
    const labels = rows.map((row) => row.category_name);
    barChart("chart-categories", labels, [{
      label: "Spending", data: rows.map((row) => row.spending), backgroundColor: palette[0],
    }], { horizontal: true, tooltip: { label: moneyLabel(currency) }, scales: { x: moneyAxis(currency) } });
    emptyState("chart-categories-empty", rows.length === 0);
    doughnutChart("chart-share", labels, [{
      label: "Share", data: rows.map((row) => row.share), backgroundColor: rows.map((_, index) => colour(index)),
    }], { legend: "bottom", tooltip: { label: (item) => `${item.label}: ${percent(item.raw)}` } });
    emptyState("chart-share-empty", rows.length === 0);
  }

  function drawTrend(trends) {
    const format = trends.period === "week" ? weekLabel : monthLabel;
    lineChart("chart-trend", trends.periods.map((row) => row.start), [{
      label: "Spending", data: trends.periods.map((row) => row.spending),
      borderColor: palette[0], backgroundColor: palette[0], tension: 0.25,
    }], {
      tooltip: { label: moneyLabel(currency), title: (items) => (
        trends.period === "week" ? `Week of ${format(items[0].label)}` : format(items[0].label)) },
      scales: { y: moneyAxis(currency), x: labelAxis(format) },
    });
  }

  function drawCashFlow(flow) {
    barChart("chart-cash-flow", flow.months.map((row) => row.start), [
      { label: "Income", data: flow.months.map((row) => row.income), backgroundColor: palette[1] },
      { label: "Expenses", data: flow.months.map((row) => row.expenses), backgroundColor: palette[4] },
    ], {
      legend: "bottom", tooltip: { title: (items) => monthLabel(items[0].label), label: moneyLabel(currency) },
      scales: { x: labelAxis(monthLabel), y: moneyAxis(currency) },
    });
  }

  // --- Cards and lists -------------------------------------------------------------
  function drawCards(overview, period, month) {
    const accounts = overview.accounts;
    setCard("card-total-balance", accounts.total_balance, money(accounts.total_balance, accounts.currency));
    const left = accounts.items.filter((item) => item.balance_in_base === null);
    byId("card-total-balance-note").textContent = left.length
      ? `Leaves out ${left.map((item) => item.name).join(", ")}: no exchange rate for ${left.map((item) => item.currency).join(", ")}.`
      : "";
    show("card-total-balance-note", left.length > 0);
    setCard("card-spent-this-month", month.total_spent, money(month.total_spent, month.currency));
    setCard("card-spent-period", period.total_spent, money(period.total_spent, period.currency));
    setCard("card-average", period.average_transaction,
      period.average_transaction === null ? "No spending" : money(period.average_transaction, period.currency));
    const top = period.top_categories[0];
    setCard("card-top-category", top ? (top.category || "") : "", top ? top.category_name : "None yet");
    byId("card-top-category-amount").textContent = top ? `${money(top.spending, period.currency)} spent` : "";
    setCard("card-unread-alerts", overview.unread_alerts, count(overview.unread_alerts));
    setCard("card-reward-points", overview.reward_points, count(overview.reward_points));
  }

  function item(html) {
    const node = document.createElement("li");
    node.innerHTML = html;
    return node;
  }
  const escape = (text) => String(text ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  function drawBudgets(budgets, category) {
    const list = byId("budget-list");
    list.replaceChildren();
    const rows = (budgets ? budgets.budgets : []).filter((row) => !category || row.category === category);
    rows.forEach((row) => {
      const id = `budget-${row.id}`;
      const spent = row.progress.spent;
      list.append(item(
        `<p class="budget-line"><span id="${id}-label">${escape(row.category_name)}</span>
          <span class="money">${money(spent, row.currency)} of ${money(row.amount, row.currency)}</span>
          ${row.progress.exceeded ? '<span class="badge exceeded">Over budget</span>' : ""}</p>
         <progress id="${id}" aria-labelledby="${id}-label" data-spent="${escape(spent)}"
           max="${escape(row.amount)}" value="${escape(Math.min(Number(spent), Number(row.amount)))}"></progress>
         <p class="help">${percent(row.progress.percent_used)} used</p>`));
    });
    show("budgets-empty", rows.length === 0);
  }

  function drawBills(bills) {
    const list = byId("bill-list");
    list.replaceChildren();
    const line = (bill, overdue) => item(
      `<span class="bill-name">${escape(bill.biller)}</span>
       <span class="bill-due">${overdue ? '<span class="badge overdue">Overdue</span> ' : ""}due ${day(bill.due_date)}</span>
       <span class="money">${money(bill.amount_due, bill.currency)}</span>`);
    bills.overdue.forEach((bill) => list.append(line(bill, true)));
    bills.upcoming.forEach((bill) => list.append(line(bill, false)));
    show("bills-empty", bills.overdue.length + bills.upcoming.length === 0);
  }

  function drawRecent(page, overview) {
    const names = Object.fromEntries(overview.accounts.items.map((account) => [account.id, account.name]));
    const categoryNames = Object.fromEntries(
      [...document.querySelectorAll("#id_category option")].map((option) => [option.value, option.textContent]));
    const body = document.querySelector("#recent-table tbody");
    body.replaceChildren();
    page.results.forEach((row) => {
      const tr = document.createElement("tr");
      tr.dataset.id = row.id;
      tr.innerHTML = `<td class="nowrap">${day(row.txn_date)}</td><td>${escape(row.description || row.merchant)}</td>
        <td>${escape(row.category ? (categoryNames[row.category] || row.category) : "Uncategorised")}</td>
        <td>${escape(names[row.account] || "")}</td>
        <td class="money${Number(row.amount) < 0 ? " negative" : ""}">${money(row.amount, row.currency)}</td>`;
      body.append(tr);
    });
    SmartBank.formatPage(byId("recent-table"));  // the column names of its phone layout
    byId("recent-table").hidden = page.results.length === 0;
    show("recent-empty", page.results.length === 0);
  }

  // --- Loading ---------------------------------------------------------------------
  const showErrors = (error) => SmartBank.showErrors(error, {
    fields: ["date_from", "date_to", "category"],
    box: byId("dashboard-error"),
    summary: "Please correct the filters above.",
  });

  async function load(filters) {
    loads += 1;
    const ticket = loads;
    root.dataset.state = "loading";
    const range = { date_from: filters.date_from, date_to: filters.date_to, category: filters.category };
    const monthStart = `${today.slice(0, 8)}01`;
    try {
      const [overview, period, month, categories, trends, flow, recent] = await Promise.all([
        api("/api/v1/dashboard/overview/"),
        api("/api/v1/transactions/metrics/", { query: range }),
        api("/api/v1/transactions/metrics/", { query: { date_from: monthStart, date_to: today, category: filters.category } }),
        api("/api/v1/insights/categories/", { query: range }),
        api("/api/v1/insights/trends/", { query: { ...range, period: filters.period || "month" } }),
        api("/api/v1/insights/cash-flow/", { query: range }),
        api("/api/v1/transactions/", { query: { ...range, limit: 10 } }),
      ]);
      if (ticket !== loads) return; // a newer filter was asked for meanwhile
      byId("dashboard-error").hidden = true;
      drawCards(overview, period, month);
      drawCategories(categories);
      drawTrend(trends);
      drawCashFlow(flow);
      drawBudgets(overview.budgets, filters.category);
      drawBills(overview.bills);
      drawRecent(recent, overview);
      root.dataset.state = "ready";
    } catch (error) {
      if (ticket !== loads) return;
      showErrors(error);
      root.dataset.state = "error";
    }
    root.dataset.loads = String(ticket);
  }

  function apply(event) {
    if (event) event.preventDefault();
    showErrors(null);
    const filters = filtersFromForm();
    const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value));
    history.pushState(filters, "", `${window.location.pathname}?${query}`);
    load(filters);
  }

  form.addEventListener("submit", apply);
  periodSelect.addEventListener("change", apply);
  window.addEventListener("popstate", (event) => {
    const filters = event.state || JSON.parse(byId("dashboard-filters-initial").textContent);
    setFormFilters(filters);
    load(filters);
  });
  load(JSON.parse(byId("dashboard-filters-initial").textContent));
})();

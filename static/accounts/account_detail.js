/* The balance-over-time chart of an account page: the daily closing balances the server
   computed (accounts.selectors.balance_history), drawn with static/insights/charts.js. */
(function () {
  "use strict";
  const source = document.getElementById("balance-data");
  const canvas = document.getElementById("balance-chart");
  if (!source || !canvas || !window.SmartBankCharts) return;
  const { day, money } = window.SmartBank;
  const { lineChart, labelAxis, moneyAxis, useDefaults } = window.SmartBankCharts;
  const chart = JSON.parse(source.textContent);
  useDefaults();
  lineChart(canvas, chart.labels, [{
    label: "Closing balance",
    // Plotting needs numbers; the exact amounts stay in the page's text and tooltips.
    data: chart.balances.map(Number),
    borderColor: "#1f5f8b",
    backgroundColor: "rgba(31, 95, 139, 0.12)",
    fill: true,
    pointRadius: 0,
    stepped: true,
    borderWidth: 2,
  }], {
    interaction: { mode: "index", intersect: false },
    tooltip: {
      title: (items) => day(chart.labels[items[0].dataIndex]),
      label: (item) => money(chart.balances[item.dataIndex], chart.currency),
    },
    scales: { x: labelAxis(day, { maxTicksLimit: 6 }), y: moneyAxis(chart.currency, { beginAtZero: false }) },
  });
})();

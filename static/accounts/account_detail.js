/* The balance-over-time chart of an account page: the daily closing balances the server
   computed (accounts.selectors.balance_history), drawn with Chart.js. */
(function () {
  "use strict";
  const source = document.getElementById("balance-data");
  const canvas = document.getElementById("balance-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const chart = JSON.parse(source.textContent);
  const money = (value) => window.SmartBank.money(String(value), chart.currency);
  new Chart(canvas, {
    type: "line",
    data: {
      labels: chart.labels,
      datasets: [{
        label: "Closing balance",
        // Plotting needs numbers; the exact amounts stay in the page's text and tooltips.
        data: chart.balances.map(Number),
        borderColor: "#1f5f8b",
        backgroundColor: "rgba(31, 95, 139, 0.12)",
        fill: true,
        pointRadius: 0,
        stepped: true,
        borderWidth: 2,
      }],
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => window.SmartBank.day(chart.labels[items[0].dataIndex]),
            label: (item) => money(chart.balances[item.dataIndex]),
          },
        },
      },
      scales: {
        x: {
          ticks: {
            maxTicksLimit: 6,
            callback: (value) => window.SmartBank.day(chart.labels[value]),
          },
        },
        y: { ticks: { callback: (value) => money(value) } },
      },
    },
  });
})();

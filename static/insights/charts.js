/* The Chart.js setup every chart page shares (the dashboard, the staff portfolio, an
   account's balance): the palette, the defaults, money and label axes in the customer's
   locale (window.SmartBank), and one way to draw a chart or redraw it with new figures.
   Load it after Chart.js and before the page's script. */
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  const { money } = window.SmartBank;
  const palette = ["#0b3d6e", "#0a7f5a", "#b45309", "#7c3aed", "#be123c", "#0e7490",
    "#4d7c0f", "#a16207", "#475569", "#c2410c", "#1d4ed8", "#15803d"];
  const colour = (index) => palette[index % palette.length];

  /** The dashboards' look: drawn at once (what a test or a screenshot sees is final),
   *  filling its .chart-box, in the page's font. */
  function useDefaults() {
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  }

  /** A value axis of amounts in one currency, formatted in the customer's locale. */
  const moneyAxis = (currency, { beginAtZero = true } = {}) => ({
    beginAtZero, ticks: { callback: (value) => money(String(value), currency) },
  });

  /** A category axis whose labels (ISO dates from the API) are shown through `format`. */
  const labelAxis = (format, ticks = {}) => ({
    ticks: { ...ticks, callback(value) { return format(this.getLabelForValue(value)); } },
  });

  /** A tooltip label: the amount (the API's string) in `currency`, a code or a function of
   *  the bar's index; after the dataset's or the bar's name unless `named` is false. */
  function moneyLabel(currency, { named = true } = {}) {
    const currencyOf = typeof currency === "function" ? currency : () => currency;
    return (item) => {
      const text = money(String(item.raw), currencyOf(item.dataIndex));
      return named ? `${item.dataset.label || item.label}: ${text}` : text;
    };
  }

  /** A chart's options: no legend unless `legend` gives its position, the tooltip's
   *  callbacks, horizontal bars when asked; anything else (scales...) as given. */
  const options = ({ horizontal = false, legend = null, tooltip = {}, ...rest } = {}) => ({
    ...rest,
    ...(horizontal ? { indexAxis: "y" } : {}),
    plugins: { legend: legend ? { position: legend } : { display: false }, tooltip: { callbacks: tooltip } },
  });

  /** Draws a chart on the canvas (an element or its id), or redraws the one already there
   *  with the new labels, datasets and options: the datasets are updated in place, so
   *  Chart.getChart(canvas) keeps answering with the same chart. Amounts may stay the API's
   *  strings (Chart.js reads numbers from them; no float is computed here). */
  function render(canvas, type, labels, datasets, chartOptions) {
    const target = typeof canvas === "string" ? document.getElementById(canvas) : canvas;
    const chart = Chart.getChart(target);
    if (!chart) return new Chart(target, { type, data: { labels, datasets }, options: options(chartOptions) });
    chart.options = options(chartOptions);
    chart.data.labels = labels;
    datasets.forEach((dataset, index) => {
      chart.data.datasets[index] = Object.assign(chart.data.datasets[index] || {}, dataset);
    });
    chart.data.datasets.length = datasets.length;
    chart.update();
    return chart;
  }

  /** Shows a chart's empty-state message (by id) when it has nothing to draw. */
  function emptyState(id, empty) {
    document.getElementById(id).hidden = !empty;
  }

  const chartOf = (type) => (canvas, labels, datasets, chartOptions) => (
    render(canvas, type, labels, datasets, chartOptions));
  window.SmartBankCharts = {
    palette, colour, useDefaults, moneyAxis, labelAxis, moneyLabel, emptyState,
    barChart: chartOf("bar"), lineChart: chartOf("line"), doughnutChart: chartOf("doughnut"),
  };
})();

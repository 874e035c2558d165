// Report pages: charts drawn from the JSON each section carries (its table lists the same
// figures), and the controls' small behaviours. Pages work without JavaScript: the controls
// are a plain GET form, the tables are always in the page.
(function () {
  "use strict";
  const charts = new Map();
  const COLOURS = ["#2458d6", "#c4320a", "#067647", "#7a2e98", "#b54708", "#0e7090"];

  function drawCharts(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
      const source = document.getElementById(canvas.dataset.chart);
      if (!source) return;
      const spec = JSON.parse(source.textContent);
      const previous = charts.get(canvas.dataset.chart);
      if (previous) previous.destroy();
      let colour = 0;
      const datasets = spec.datasets.map((d) => {
        if (d.goal) {  // the figure's goal: a flat dashed line, also over bars
          return { label: d.label, data: d.data, display: d.display, type: "line", borderColor: "#067647",
                   borderDash: [8, 4], borderWidth: 2, pointRadius: 0, fill: false, order: -1 };
        }
        const base = d.previous ? "#98a2b3" : COLOURS[colour++ % COLOURS.length];
        return {
          label: d.label, data: d.data, display: d.display,
          borderColor: base, backgroundColor: d.previous ? base + "33" : base + (spec.kind === "bar" ? "cc" : "22"),
          borderDash: d.previous ? [5, 4] : [], borderWidth: 2, pointRadius: spec.labels.length > 40 ? 0 : 2,
          tension: 0.25, spanGaps: true, fill: false,
        };
      });
      // Value-axis ticks in the page's language (the server sends it; labels and tooltips come
      // formatted): 1 234 and 80 % in Finnish, 1,234 and 80% in English.
      const locale = spec.locale || document.documentElement.lang || undefined;
      const tickFormat = spec.axis_unit === "percent"
        ? new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 })
        : new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
      const tick = (value) => tickFormat.format(spec.axis_unit === "percent" ? value / 100 : value);
      const chart = new Chart(canvas, {
        type: spec.kind === "bar" ? "bar" : "line",
        data: { labels: spec.labels, datasets },
        options: {
          locale,
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { display: datasets.length > 1, labels: { boxWidth: 12 } },
            tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${ctx.dataset.display[ctx.dataIndex] ?? "—"}` } },
          },
          scales: {
            x: { ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
            y: { beginAtZero: true, suggestedMax: spec.axis_max ?? undefined, ticks: { precision: 0, callback: tick },
                 title: { display: Boolean(spec.axis_title), text: spec.axis_title } },
          },
        },
      });
      charts.set(canvas.dataset.chart, chart);
    });
  }

  function wireControls(root) {
    const form = root.querySelector("form[data-controls]");
    if (!form) return;
    const preset = form.querySelector("[data-preset]");
    // Typing a date makes the range a custom one.
    form.querySelectorAll("[data-date]").forEach((input) => {
      input.addEventListener("change", () => { if (preset) preset.value = "custom"; });
    });
  }

  // Keep the URL short and true to the view: dates only for a custom range, no empty filters.
  document.addEventListener("htmx:configRequest", (event) => {
    const params = event.detail.parameters;
    const get = (name) => (params instanceof FormData ? params.get(name) : params[name]);
    const drop = (name) => { if (params instanceof FormData) params.delete(name); else delete params[name]; };
    if (get("preset") && get("preset") !== "custom") { drop("from"); drop("to"); }
    ["team", "agent", "channel", "tag"].forEach((name) => { if (get(name) === "") drop(name); });
    if (get("compare") === "previous") drop("compare");
  });

  document.addEventListener("DOMContentLoaded", () => { drawCharts(document); wireControls(document); });
  document.addEventListener("htmx:load", (event) => { drawCharts(event.target); wireControls(event.target); });
})();

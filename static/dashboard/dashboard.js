// The dashboard's charts (Apache ECharts, served from static/vendor/echarts), drawn from the
// figures the page embeds as JSON (#dashboard-data); tooltips on every figure's definition.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    if (window.bootstrap) {
      document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
        new window.bootstrap.Tooltip(el);
      });
    }
    var node = document.getElementById("dashboard-data");
    if (!node || !window.echarts) return;
    var data = JSON.parse(node.textContent);
    var dark = data.wall;
    var theme = dark ? "dark" : null;
    var charts = [];
    function draw(id, option) {
      var el = document.getElementById(id);
      if (!el) return;
      var chart = window.echarts.init(el, theme, { renderer: "canvas" });
      option.backgroundColor = "transparent";
      option.animation = !dark;
      chart.setOption(option);
      el.setAttribute("data-rendered", "1");
      charts.push(chart);
    }
    var keys = Object.keys(data.series);
    draw("chart-trend", {
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: keys.map(function (k) { return data.labels[k]; }) },
      grid: { left: 40, right: 16, top: 40, bottom: 24 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: keys.map(function (k) {
        return { name: data.labels[k], type: k === "demands" ? "bar" : "line", data: data.series[k] };
      }),
    });
    draw("chart-rates", {
      tooltip: { formatter: "{b}: {c}%" },
      grid: { left: 110, right: 24, top: 8, bottom: 24 },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", inverse: true, data: data.rates.map(function (r) { return r.name; }) },
      series: [{ type: "bar", data: data.rates.map(function (r) { return r.value; }), label: { show: true, position: "right", formatter: "{c}%" } }],
    });
    function pie(id, rows) {
      draw(id, {
        tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
        legend: { type: "scroll", orient: "vertical", right: 0, top: "middle" },
        series: [{ type: "pie", radius: ["35%", "65%"], center: ["38%", "50%"], data: rows }],
      });
    }
    pie("chart-category", data.category_mix);
    pie("chart-source", data.source_mix);
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  });
})();

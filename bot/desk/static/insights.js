/* Draws the 三率 page's charts with the vendored ECharts from the numbers the page
   carries in #stats-data (rates in %, times in hours). No data, no chart. */
(function () {
  "use strict";
  var holder = document.getElementById("stats-data");
  if (!holder || !window.echarts) { return; }
  var data = JSON.parse(holder.textContent || "{}");
  var palette = ["#1f6f4a", "#1664ff", "#d25f00", "#cb2634"];
  function base(labels) {
    return {
      color: palette, animation: false, tooltip: { trigger: "axis" },
      grid: { left: 44, right: 16, top: 36, bottom: 28, containLabel: true },
      legend: { top: 0 },
      xAxis: { type: "category", data: labels }
    };
  }
  var builders = {
    rates: function (d) {
      var o = base(d.labels);
      o.yAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
      o.series = [
        { name: "响应率", type: "line", data: d.response, connectNulls: true },
        { name: "解决率", type: "line", data: d.resolution, connectNulls: true },
        { name: "满意率", type: "line", data: d.satisfaction, connectNulls: true }
      ];
      return o;
    },
    counts: function (d) {
      var o = base(d.labels);
      o.yAxis = { type: "value", minInterval: 1 };
      o.series = [
        { name: "受理", type: "bar", data: d.opened },
        { name: "超时", type: "bar", data: d.overdue }
      ];
      return o;
    },
    times: function (d) {
      var o = base(d.labels);
      o.yAxis = { type: "value", name: "小时" };
      o.series = [
        { name: "P90签收", type: "bar", data: d.p90_ack },
        { name: "P90办结", type: "bar", data: d.p90_resolve }
      ];
      return o;
    },
    categories: function (d) {
      var o = base(d.labels);
      o.xAxis = { type: "value", minInterval: 1 };
      o.yAxis = { type: "category", data: d.labels };
      o.legend = { show: false };
      o.series = [{ name: "受理", type: "bar", data: d.opened }];
      return o;
    }
  };
  var charts = [];
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
    var source = data[el.getAttribute("data-source")];
    var build = builders[el.getAttribute("data-chart")];
    if (!source || !build || !source.labels.length) {
      el.style.height = "auto";
      el.className += " muted";
      el.textContent = "这段时间没有数据。";
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(build(source));
    el.setAttribute("data-drawn", "1");
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
}());

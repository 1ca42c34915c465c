// 统计分析页的图表（Chart.js，本地提供）；同样的数字另有表格。
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof window.Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var font = { family: "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif" };
  window.Chart.defaults.font.family = font.family;
  window.Chart.defaults.maintainAspectRatio = false;
  var palette = ["#0d6efd", "#198754", "#fd7e14", "#dc3545", "#6f42c1", "#20c997", "#6c757d", "#d63384", "#0dcaf0", "#ffc107"];
  function make(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new window.Chart(canvas, config);
  }
  make("chart-grades", {
    type: "bar",
    data: { labels: data.grades.labels, datasets: [{ label: "自评份数", data: data.grades.counts, backgroundColor: palette }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  make("chart-losses", {
    type: "bar",
    data: { labels: window.innerWidth < 576 ? data.losses.codes : data.losses.labels, datasets: [{ label: "失分部门数", data: data.losses.counts, backgroundColor: "#fd7e14" }] },
    options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
  make("chart-trends", {
    type: "line",
    data: {
      labels: data.trends.years,
      datasets: data.trends.series.map(function (s, i) {
        return { label: s.label, data: s.data, borderColor: palette[i % palette.length], backgroundColor: palette[i % palette.length], spanGaps: true, tension: 0.2 };
      })
    },
    options: { scales: { y: { suggestedMin: 60, suggestedMax: 100 } } }
  });
})();

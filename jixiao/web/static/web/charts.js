// Bar charts drawn with the vendored ECharts from data the page embeds with json_script.
(() => {
  const charts = [];
  const draw = () => {
    if (typeof window.echarts === "undefined") return;
    document.querySelectorAll("[data-bar-chart]").forEach((element) => {
      const source = document.getElementById(element.getAttribute("data-bar-chart"));
      if (!source) return;
      const data = JSON.parse(source.textContent || "{}");
      const labels = data.labels || [];
      const values = data.values || [];
      const chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption({
        aria: { enabled: true },
        grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: labels, inverse: true, axisLabel: { width: 120, overflow: "truncate" } },
        series: [{ type: "bar", data: values, itemStyle: { color: "#2563eb" }, barMaxWidth: 28, label: { show: true, position: "right" } }],
      });
      element.style.height = `${Math.max(160, labels.length * 36 + 40)}px`;
      chart.resize();
      charts.push(chart);
    });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
})();

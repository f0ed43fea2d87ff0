// Roll-up pages: a bar per member (vendored ECharts, data from json_script); clicking a bar
// opens that member's value and its events. No inline script: the CSP forbids it.
(() => {
  const charts = [];
  const draw = () => {
    if (typeof window.echarts === "undefined") return;
    document.querySelectorAll("[data-rollup-chart]").forEach((element) => {
      const source = document.getElementById(element.getAttribute("data-rollup-chart"));
      if (!source) return;
      const data = JSON.parse(source.textContent || "{}");
      const labels = data.labels || [];
      const values = data.values || [];
      const links = data.links || [];
      const unit = data.unit || "";
      element.style.height = `${Math.max(160, labels.length * 32 + 40)}px`;
      const chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption({
        aria: { enabled: true },
        grid: { left: 8, right: 48, top: 16, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", valueFormatter: (value) => (value === null ? "—" : `${value} ${unit}`) },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: labels, inverse: true, axisLabel: { width: 120, overflow: "truncate" } },
        series: [{
          type: "bar",
          data: values,
          itemStyle: { color: "#2563eb" },
          barMaxWidth: 24,
          cursor: "pointer",
          label: { show: true, position: "right" },
        }],
      });
      chart.on("click", (params) => {
        const link = links[params.dataIndex];
        if (link) window.location.assign(link);
      });
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

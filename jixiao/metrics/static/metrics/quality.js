// The data-quality page's error-rate chart: one bar per quarter and the 1% alert line.
// Data comes from the page (json_script); no inline script (CSP).
(() => {
  const charts = [];
  const draw = () => {
    if (typeof window.echarts === "undefined") return;
    document.querySelectorAll("[data-quality-rate-chart]").forEach((element) => {
      const source = document.getElementById(element.getAttribute("data-quality-rate-chart"));
      if (!source) return;
      const data = JSON.parse(source.textContent || "{}");
      const threshold = Number(data.threshold || 1);
      const values = (data.values || []).map((v) => (v === null ? null : Number(v)));
      const highest = Math.max(threshold * 1.5, ...values.filter((v) => v !== null));
      const chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption({
        aria: { enabled: true },
        grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", valueFormatter: (v) => (v === null || v === undefined ? "—" : `${v}%`) },
        xAxis: { type: "category", data: data.labels || [] },
        yAxis: { type: "value", max: Math.ceil(highest * 10) / 10, axisLabel: { formatter: "{value}%" } },
        series: [{
          name: data.name || "",
          type: "bar",
          barMaxWidth: 36,
          data: values.map((v) => ({ value: v, itemStyle: { color: v !== null && v > threshold ? "#dc2626" : "#2563eb" } })),
          label: { show: true, position: "top", formatter: (p) => (p.value === null || p.value === undefined ? "" : `${p.value}%`) },
          markLine: {
            symbol: "none",
            silent: true,
            lineStyle: { color: "#dc2626", type: "dashed" },
            label: { formatter: data.threshold_name || "1%", position: "insideEndTop" },
            data: [{ yAxis: threshold }],
          },
        }],
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

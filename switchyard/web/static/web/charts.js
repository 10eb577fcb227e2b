// Draws every <canvas data-chart="ID"> with Chart.js from the JSON in <script id="ID">
// (a static file, so the content security policy needs no inline script): those of the page,
// and those of fragments htmx brings in later (a product's charts).
(function () {
  "use strict";
  var PALETTE = ["#5e6ad2", "#1f8a4c", "#d93f3f", "#b86e00", "#2f6fdb", "#7a4cd9"];

  function dataset(spec, data, index) {
    var colour = data.colour || PALETTE[index % PALETTE.length];
    return {
      label: data.label,
      data: data.data,
      borderColor: colour,
      backgroundColor: spec.kind === "line" ? colour : colour + "cc",
      borderDash: data.dashed ? [5, 4] : [],
      borderWidth: spec.kind === "line" ? 2 : 0,
      pointRadius: spec.labels.length > 40 ? 0 : 2,
      maxBarThickness: 28,
      spanGaps: true,
    };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || canvas.hasAttribute("data-drawn") || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var valueAxis = { beginAtZero: true, stacked: spec.stacked, ticks: { precision: 0 } };
    if (spec.most !== null) valueAxis.max = spec.most;
    var labelAxis = { stacked: spec.stacked, ticks: { autoSkip: true, maxRotation: 0 } };
    new Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (data, index) { return dataset(spec, data, index); }),
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: spec.horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis },
        plugins: {
          legend: {
            display: spec.datasets.length > 1,
            position: "bottom",
            labels: { boxWidth: 12, font: { size: 11 } },
          },
        },
      },
    });
    canvas.setAttribute("data-drawn", "true");
  }

  function drawIn(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  drawIn(document);
  document.addEventListener("htmx:load", function (event) { drawIn(event.detail.elt); });
})();

/* PNG and SVG of a chart (components/downloads.chart_links): Plotly draws the figure as
   the page shows it — title, legend, round and source are inside the figure — and the
   file is named after what it shows (data-filename). Nothing leaves the machine. */
(function () {
  document.addEventListener("click", function (e) {
    const button = e.target && e.target.closest && e.target.closest(".chart-download");
    if (!button || !window.Plotly) { return; }
    const graph = document.querySelector("#" + CSS.escape(button.dataset.graph) +
                                         " .js-plotly-plot");
    if (!graph) { return; }
    e.preventDefault();
    window.Plotly.downloadImage(graph, {
      format: button.dataset.format, filename: button.dataset.filename,
      width: graph.offsetWidth || 900, height: graph.offsetHeight || 500, scale: 2,
    });
  });
})();

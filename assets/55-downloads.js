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

/* The print image of a map whose view changes in callbacks (centres): the map's PNG
   link follows the view; its print image (the map component's .chipao-map-print, shown
   instead of the WebGL canvas in print) takes the same picture. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  downloads: {
    printImage: function (href, storeId) {
      const link = document.querySelector("a[href='" + CSS.escape(href || "") + "']") || null;
      const box = (link && link.closest(".col, [class*='col-']")) || document;
      const img = box.querySelector(".chipao-map .chipao-map-print") ||
                  document.querySelector(".chipao-map .chipao-map-print");
      if (img && href) { window.chipaoMapPrintImage(img, href + "&purpose=print"); }
      return href || null;
    }
  }
});

/* Presentation mode on /plans: ←/→ (Page Down/Up) select the next/previous area of the
   progress map, ↑/↓ step through its three measures. The URL is the state (a colleague
   opening the link sees the same view). F and Esc: assets/50-meeting.js. */
(function () {
  const MEASURES = ["plan", "done", "visited"];
  function presenting() { return document.documentElement.classList.contains("present"); }
  function go(params) {
    window.history.pushState({}, "", window.location.pathname + "?" + params.toString());
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
  }
  function area(delta) {
    const m = (window.chipaoMaps || {})["plans-map"];
    const areas = m ? m.areas() : [];
    if (!areas.length) { return; }
    const params = new URLSearchParams(window.location.search);
    const i = areas.indexOf(params.get("sel"));
    params.set("sel", areas[(i + delta + areas.length) % areas.length]);
    go(params);
  }
  function measure(delta) {
    const params = new URLSearchParams(window.location.search);
    const i = Math.max(0, MEASURES.indexOf(params.get("measure") || "plan"));
    params.set("measure", MEASURES[(i + delta + MEASURES.length) % MEASURES.length]);
    go(params);
  }
  document.addEventListener("keydown", function (e) {
    if (window.location.pathname !== "/plans" || !presenting() ||
        e.altKey || e.ctrlKey || e.metaKey) { return; }
    const tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") { return; }
    const act = {ArrowRight: () => area(1), ArrowLeft: () => area(-1), PageDown: () => area(1),
                 PageUp: () => area(-1), ArrowDown: () => measure(1),
                 ArrowUp: () => measure(-1)}[e.key];
    if (act) { e.preventDefault(); act(); }
  });
})();

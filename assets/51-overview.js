/* Charts in print: a Plotly chart keeps the width it had on screen, which on A4 would
   run past the page (or, beside a table, over it). When printing starts (Ctrl+P fires
   beforeprint; a print-media change, as in a headless PDF, fires the media query) each
   chart is laid out at most PRINT_WIDTH px wide (A4 portrait's text width), and given
   back its responsive width afterwards. */
(function () {
  const PRINT_WIDTH = 680;
  function plots() { return document.querySelectorAll(".js-plotly-plot"); }
  function toPrint() {
    if (!window.Plotly) { return; }
    plots().forEach(function (el) {
      const width = Math.min(PRINT_WIDTH, el.getBoundingClientRect().width || PRINT_WIDTH);
      el.dataset.printWidth = String(width);
      try { window.Plotly.relayout(el, {width: width, autosize: false}); } catch (e) { /* redrawn */ }
    });
  }
  function toScreen() {
    if (!window.Plotly) { return; }
    plots().forEach(function (el) {
      if (!el.dataset.printWidth) { return; }
      delete el.dataset.printWidth;
      try { window.Plotly.relayout(el, {width: null, autosize: true}); } catch (e) { /* redrawn */ }
    });
  }
  window.addEventListener("beforeprint", toPrint);
  window.addEventListener("afterprint", toScreen);
  if (window.matchMedia) {
    const print = window.matchMedia("print");
    if (print.addEventListener) {
      print.addEventListener("change", function (e) { if (e.matches) { toPrint(); } else { toScreen(); } });
    }
  }
})();
